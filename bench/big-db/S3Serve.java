import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.Constants;

/** Probe helper: S3Proxy on a directory (filesystem provider), port 0; prints the port; runs until killed. */
public class S3Serve {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Properties p = new Properties();
        p.setProperty(Constants.PROPERTY_IDENTITY, "");
        p.setProperty(Constants.PROPERTY_CREDENTIAL, "");
        p.setProperty("jclouds.filesystem.basedir", dir.toString());
        BlobStore store = BlobStores.create("filesystem", p);
        S3Proxy proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "probe-access", "probe-secret").build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) Thread.sleep(50);
        System.out.println("port " + proxy.getPort());
        Thread.sleep(Long.MAX_VALUE);
    }
}
