import CGStreamer
import Foundation

/// A graph running as a GStreamer pipeline (parse-launched from its description).
public final class GraphPipeline: @unchecked Sendable {
    let pipeline: UnsafeMutablePointer<GstElement>
    /// The description it was built from.
    public let description: String

    /// Builds the pipeline; throws with GStreamer's message when the description does not build.
    public init(description: String) throws {
        self.description = description
        var message: UnsafeMutablePointer<CChar>?
        let built = GStreamerRegistry.withRegistry { pb_parse_launch(description, &message) }
        guard let built else {
            defer { g_free(message) }
            throw GraphError("cannot build the pipeline: \(message.map { String(cString: $0) } ?? "unknown error")")
        }
        pipeline = built
    }

    deinit {
        // Stopping waits for the streaming threads: never on the thread that dropped the last reference.
        let element = UnsafeSendableElement(pipeline)
        GStreamerThreads.release {
            gst_element_set_state(element.pointer, GST_STATE_NULL)
            gst_object_unref(UnsafeMutableRawPointer(element.pointer))
        }
    }

    /// Starts playing, blocking the calling thread until the state change returns. Call it off the cooperative
    /// pool (`start()` does).
    public func play() throws {
        if gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE {
            throw GraphError("the pipeline refused to start (an element could not open its device or file)")
        }
    }

    /// Starts playing, the state change on a dispatch thread.
    public func start() async throws {
        try await GStreamerThreads.run { try self.play() }
    }

    /// Stops at once (to NULL), the state change on a dispatch thread.
    public func stop() async {
        let element = UnsafeSendableElement(pipeline)
        await GStreamerThreads.runQuietly { _ = gst_element_set_state(element.pointer, GST_STATE_NULL) }
    }

    /// Changes a property of a named element while the pipeline runs (mute: a mic `volume` to 0; per-member
    /// volume: the peer's `level_<peer>`). Throws when there is no such element or property.
    public func set(element: String, property: String, to value: String) throws {
        guard pb_set_named_property(pipeline, element, property, value) != 0 else {
            throw GraphError("no element '\(element)' with a property '\(property)' in the running graph")
        }
    }

    /// Sends end-of-stream and waits (on a dispatch thread, up to `timeout`) until it has gone through, so file
    /// writers finish their headers; then stops.
    public func finish(timeout: Duration = .seconds(10)) async throws {
        pb_send_eos(pipeline)
        try await waitForEnd(timeout: timeout)
        await stop()
    }

    /// Waits for end-of-stream or an error, up to `timeout`, without blocking a Swift concurrency thread.
    public func waitForEnd(timeout: Duration) async throws {
        let milliseconds = Int(timeout.components.seconds * 1000)
        let element = UnsafeSendableElement(pipeline)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                var message: UnsafeMutablePointer<CChar>?
                let result = pb_wait_eos_or_error(element.pointer, milliseconds, &message)
                defer { g_free(message) }
                switch result {
                case 1: continuation.resume()
                case 0: continuation.resume(throwing: GraphError("no end-of-stream within \(timeout)"))
                default: continuation.resume(throwing: GraphError(message.map { String(cString: $0) } ?? "pipeline error"))
                }
            }
        }
    }
}

private struct UnsafeSendableElement: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<GstElement>
    init(_ pointer: UnsafeMutablePointer<GstElement>) { self.pointer = pointer }
}

/// A graph that cannot be built or run; the message says why.
public struct GraphError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let message: String
    /// Makes an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
