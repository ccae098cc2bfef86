package dev.ltx4j.replica.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Keeps the two times of a {@code RequestTimeTooSkewed} error body ({@code <RequestTime>}, {@code <ServerTime>}) for
 * {@link S3ClockSkew}: the SDK parses the body and leaves {@code rawResponse()} empty. Only those elements are kept
 * (the body can echo the access key id); the failure's {@code rawResponse()} is set to them alone.
 */
final class S3ClockSkewCapture implements ExecutionInterceptor {
    private static final ExecutionAttribute<String> TIMES = new ExecutionAttribute<>("ltx4j.store.skewTimes");
    private static final Pattern ELEMENT = Pattern.compile("<(RequestTime|ServerTime)>[^<]{1,40}</\\1>");
    private static final int MAX_ERROR_BODY = 64 * 1024;

    @Override
    public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
            ExecutionAttributes attributes) {
        Optional<InputStream> body = context.responseBody();
        if (context.httpResponse().statusCode() != 403 || body.isEmpty()) {
            return body;
        }
        byte[] bytes;
        try {
            bytes = body.get().readNBytes(MAX_ERROR_BODY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.contains("RequestTimeTooSkewed") || text.contains("RequestExpired")) {
            StringBuilder times = new StringBuilder();
            Matcher m = ELEMENT.matcher(text);
            while (m.find()) {
                times.append(m.group());
            }
            attributes.putAttribute(TIMES, times.toString());
        }
        return Optional.of(new ByteArrayInputStream(bytes));
    }

    @Override
    public Throwable modifyException(Context.FailedExecution context, ExecutionAttributes attributes) {
        String times = attributes.getAttribute(TIMES);
        if (times == null || times.isEmpty() || !(context.exception() instanceof AwsServiceException e)
                || e.awsErrorDetails() == null) {
            return context.exception();
        }
        return e.toBuilder().awsErrorDetails(e.awsErrorDetails().toBuilder()
                .rawResponse(SdkBytes.fromUtf8String(times)).build()).build();
    }
}
