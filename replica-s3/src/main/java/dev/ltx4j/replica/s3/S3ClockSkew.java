package dev.ltx4j.replica.s3;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.retry.ClockSkew;

/**
 * How far apart the clocks were, from what a {@code RequestTimeTooSkewed} response tells: S3's error body carries the
 * request's time ({@code <RequestTime>}, as signed) and the store's ({@code <ServerTime>}); other stores may send only
 * a {@code Date} header. Only those two elements of the body are kept ({@link S3ErrorFacts}).
 */
final class S3ClockSkew {
    private static final DateTimeFormatter BASIC = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssX")
            .withZone(ZoneOffset.UTC);

    private S3ClockSkew() {}

    /**
     * Whether the refused request was signed at a time other than this machine's clock (by more than a minute): the
     * AWS SDK signs with an offset it keeps for the JVM ({@code SdkGlobalTime}), copied into each client when it is
     * built, so a client can carry an offset some earlier store's answer set.
     */
    static boolean signedOffTheClock(AwsServiceException e) {
        return signingTime(e).map(t -> Duration.between(t, Instant.now()).abs().compareTo(Duration.ofMinutes(1)) > 0)
                .orElse(false);
    }

    private static Optional<Instant> signingTime(AwsServiceException e) {
        if (e.awsErrorDetails() == null) {
            return Optional.empty();
        }
        Optional<Instant> request = S3ErrorFacts.fact(e, "RequestTime").flatMap(S3ClockSkew::time);
        return request.isPresent() ? request
                : S3ErrorFacts.signedAt(e.awsErrorDetails().sdkHttpResponse()).flatMap(S3ClockSkew::time);
    }

    /**
     * {@code " (this machine's clock is 20 min 3 s behind the store's: ...)"} ("the request's signing time" when it
     * was not this machine's clock), or "" when the response tells nothing.
     */
    static String describe(AwsServiceException e) {
        if (e.awsErrorDetails() == null) {
            return "";
        }
        Optional<Instant> server = S3ErrorFacts.fact(e, "ServerTime").flatMap(S3ClockSkew::time);
        Optional<Instant> request = signingTime(e);
        String source = "the store's error response";
        if (server.isEmpty() && e.awsErrorDetails().sdkHttpResponse() != null) {
            server = ClockSkew.getServerTime(e.awsErrorDetails().sdkHttpResponse());
            source = "the store's Date header";
        }
        if (server.isEmpty()) {
            return "";
        }
        if (request.isEmpty()) {
            request = Optional.of(Instant.now());
            source += " and this machine's clock";
        }
        Duration skew = Duration.between(request.get(), server.get());
        String whose = signedOffTheClock(e) ? "the request's signing time" : "this machine's clock";
        return " (" + whose + " is " + human(skew.abs()) + (skew.isNegative() ? " ahead of" : " behind")
                + " the store's: the request was signed at " + request.get() + ", the store's time was "
                + server.get() + ", from " + source + ")";
    }

    static Optional<Instant> time(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException notIso) {
            try {
                return Optional.of(Instant.from(BASIC.parse(text)));
            } catch (DateTimeParseException notBasic) {
                return Optional.empty();
            }
        }
    }

    static String human(Duration d) {
        long s = d.getSeconds();
        if (s >= 86_400) {
            return (s / 86_400) + " d " + (s % 86_400 / 3600) + " h";
        }
        if (s >= 3600) {
            return (s / 3600) + " h " + (s % 3600 / 60) + " min";
        }
        return (s / 60) + " min " + (s % 60) + " s";
    }
}
