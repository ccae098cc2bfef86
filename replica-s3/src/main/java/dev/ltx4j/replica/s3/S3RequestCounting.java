package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.StoreRequests;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts every HTTP attempt the S3 SDK makes into {@link StoreRequests}: transmission hooks run once per attempt,
 * inside the SDK's retries, so a throttled request retried twice counts three times, as S3 bills it. An attempt that
 * got no response (connection reset, timeout) is noticed when the next attempt starts or the call fails.
 */
final class S3RequestCounting implements ExecutionInterceptor {
    /** Set while an attempt is on the wire: found still set at the next attempt, that one got no response. */
    private static final ExecutionAttribute<Boolean> IN_FLIGHT = new ExecutionAttribute<>("ltx4j.store.inFlight");

    private final StoreRequests requests;

    S3RequestCounting(StoreRequests requests) {
        this.requests = requests;
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        if (Boolean.TRUE.equals(attributes.getAttribute(IN_FLIGHT))) {
            requests.record(kind(attributes), 0);
        }
        attributes.putAttribute(IN_FLIGHT, Boolean.TRUE);
    }

    @Override
    public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
        attributes.putAttribute(IN_FLIGHT, Boolean.FALSE);
        requests.record(kind(attributes), context.httpResponse().statusCode());
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        if (Boolean.TRUE.equals(attributes.getAttribute(IN_FLIGHT))) {
            attributes.putAttribute(IN_FLIGHT, Boolean.FALSE);
            requests.record(kind(attributes), 0);
        }
    }

    /** By operation: listings are GETs of the bucket, multipart parts are PUTs, a batch delete is a POST. */
    static int kind(ExecutionAttributes attributes) {
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        if (operation == null) return StoreRequests.OTHER;
        return switch (operation) {
            case "ListObjectsV2", "ListObjects", "ListObjectVersions", "ListMultipartUploads", "ListParts" -> StoreRequests.LIST;
            case "GetObject" -> StoreRequests.GET;
            case "HeadObject", "HeadBucket" -> StoreRequests.HEAD;
            case "PutObject", "UploadPart", "CopyObject", "UploadPartCopy" -> StoreRequests.PUT;
            case "DeleteObject", "DeleteObjects" -> StoreRequests.DELETE;
            default -> StoreRequests.OTHER; // CreateMultipartUpload, CompleteMultipartUpload, AbortMultipartUpload
        };
    }
}
