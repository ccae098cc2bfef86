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
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Keeps the few facts of an error body that the messages name, which the SDK parses and then drops
 * ({@code rawResponse()} is left empty): the two times of a {@code RequestTimeTooSkewed} ({@code <RequestTime>},
 * {@code <ServerTime>}, for {@link S3ClockSkew}), the bucket's {@code <Region>} / {@code <Endpoint>} of a redirect or
 * wrong-region answer, and the {@code <title>} of an HTML page (a proxy or gateway answered, not the store). Only
 * those are kept (a body can echo the access key id or the session token); the failure's {@code rawResponse()} is
 * set to them alone, and {@link #fact} reads them back. An error response also gets the time its request was signed
 * at ({@link #SIGNED_AT}, from {@code x-amz-date}) and its method ({@link #METHOD}): the SDK may sign with an offset from this machine's clock, and
 * {@link ClockSkewOnce} must compare the store's time with the signing time, not the clock.
 */
final class S3ErrorFacts implements ExecutionInterceptor {
    private static final ExecutionAttribute<String> FACTS = new ExecutionAttribute<>("ltx4j.store.errorFacts");
    private static final Pattern ELEMENT = Pattern.compile(
            "<(RequestTime|ServerTime|Region|Endpoint)>([^<]{1,100})</\\1>");
    private static final Pattern TITLE = Pattern.compile("(?is)<title>\\s*([^<]{1,100}?)\\s*</title>");
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9 .,:;/()'_+-]{1,100}");
    private static final int MAX_ERROR_BODY = 64 * 1024;
    /** A header added to error responses only in this process: the refused request's {@code x-amz-date}. */
    static final String SIGNED_AT = "x-ltx4j-signed-at";
    /** Likewise: the refused request's method. */
    static final String METHOD = "x-ltx4j-request-method";

    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        SdkHttpResponse response = context.httpResponse();
        if (response.statusCode() < 300) {
            return response;
        }
        SdkHttpResponse.Builder marked = response.toBuilder()
                .putHeader(METHOD, context.httpRequest().method().name());
        context.httpRequest().firstMatchingHeader("x-amz-date").ifPresent(d -> marked.putHeader(SIGNED_AT, d));
        return marked.build();
    }

    /** Whether the refused request was a HEAD (whose error responses have no body by protocol). */
    static boolean wasHead(SdkHttpResponse response) {
        return response != null && response.firstMatchingHeader(METHOD).filter("HEAD"::equals).isPresent();
    }

    /** When the refused request was signed, if the response is one this interceptor saw. */
    static Optional<String> signedAt(SdkHttpResponse response) {
        return response == null ? Optional.empty() : response.firstMatchingHeader(SIGNED_AT);
    }

    @Override
    public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
            ExecutionAttributes attributes) {
        Optional<InputStream> body = context.responseBody();
        int status = context.httpResponse().statusCode();
        if (status < 300) {
            return body;
        }
        // Every error response replaces the facts of an earlier attempt: a bodiless 504 after an HTML 502 page must
        // not be named with the page's title.
        attributes.putAttribute(FACTS, "");
        if (body.isEmpty()) {
            return body;
        }
        byte[] bytes;
        try {
            bytes = body.get().readNBytes(MAX_ERROR_BODY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        StringBuilder facts = new StringBuilder();
        Matcher m = ELEMENT.matcher(text);
        while (m.find()) {
            append(facts, m.group(1), m.group(2));
        }
        Matcher title = TITLE.matcher(text);
        if (title.find()) {
            append(facts, "Title", title.group(1));
        }
        attributes.putAttribute(FACTS, facts.toString());
        return Optional.of(new ByteArrayInputStream(bytes));
    }

    /** Only short plain values: whatever else a page holds stays out of messages. */
    private static void append(StringBuilder facts, String name, String value) {
        String v = value.trim();
        if (SAFE.matcher(v).matches()) {
            facts.append('<').append(name).append('>').append(v).append("</").append(name).append('>');
        }
    }

    @Override
    public Throwable modifyException(Context.FailedExecution context, ExecutionAttributes attributes) {
        String facts = attributes.getAttribute(FACTS);
        if (facts == null || facts.isEmpty() || !(context.exception() instanceof AwsServiceException e)
                || e.awsErrorDetails() == null) {
            return context.exception();
        }
        return e.toBuilder().awsErrorDetails(e.awsErrorDetails().toBuilder()
                .rawResponse(SdkBytes.fromUtf8String(facts)).build()).build();
    }

    /** A fact kept from the failure's error body ({@code RequestTime}, {@code Region}, {@code Title}, ...). */
    static Optional<String> fact(AwsServiceException e, String name) {
        if (e.awsErrorDetails() == null || e.awsErrorDetails().rawResponse() == null) {
            return Optional.empty();
        }
        Matcher m = Pattern.compile("<" + name + ">([^<]*)</" + name + ">")
                .matcher(e.awsErrorDetails().rawResponse().asUtf8String());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
