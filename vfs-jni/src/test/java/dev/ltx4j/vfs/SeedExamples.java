package dev.ltx4j.vfs;

/** The user contract's host examples, verbatim where the host allows (Debian's Python 3.11 lacks {@code entrypoint}). */
final class SeedExamples {
    private SeedExamples() {
    }

    /** The "Creating new databases" sqlite3 session, then a read-back and an integrity check. */
    static final String CLI_CREATE_SESSION = """
            .load ./dist/litestream-vfs sqlite3_litestreamvfs_init
            .open 'file:newdb.db?vfs=litestream'
            CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
            INSERT INTO users (name) VALUES ('Alice');
            SELECT name FROM users;
            PRAGMA integrity_check;
            """;

    /** The "Examples / Python" app.py. */
    static final String PYTHON_APP = """
            import sqlite3

            # Load VFS extension
            loader = sqlite3.connect(":memory:")
            loader.enable_load_extension(True)
            try:
                loader.load_extension("./dist/litestream-vfs.so", entrypoint="sqlite3_litestreamvfs_init")
            except TypeError:  # Python < 3.12 (Debian 12): no entrypoint argument; SQLite derives the same name
                loader.load_extension("./dist/litestream-vfs.so")
            loader.close()

            # Connect with write mode enabled (via environment variable)
            conn = sqlite3.connect("file:app.db?vfs=litestream", uri=True)

            # Writes now sync to S3
            conn.execute("CREATE TABLE IF NOT EXISTS logs (id INTEGER PRIMARY KEY, msg TEXT)")
            conn.execute("INSERT INTO logs (msg) VALUES (?)", ("Application started",))
            conn.commit()

            # Query as normal
            for row in conn.execute("SELECT * FROM logs"):
                print(row)
            """;
}
