import Logging
import Voice

/// Logs what a media graph reports (errors and warnings at warning level, ICE states and first audio at debug;
/// level meters and speaking changes are skipped). It is the graph's one `events` consumer and ends with the graph.
enum GraphEventLog {
    static func follow(_ graph: VoiceGraph, logger: Logger) {
        let events = graph.events
        Task {
            for await event in events {
                switch event {
                case .error(let element, let message, let peer):
                    logger.warning("graph error", metadata: [
                        "element": .string(element), "message": .string(message), "peer": .string(peer ?? "-"),
                    ])
                case .warning(let element, let message):
                    logger.debug("graph warning", metadata: ["element": .string(element), "message": .string(message)])
                case .iceState(let peer, let state):
                    logger.debug("ICE state", metadata: ["peer": .string(peer), "state": .string(state)])
                case .firstAudio(let peer):
                    logger.debug("first audio", metadata: ["peer": .string(peer)])
                case .degraded(let degradation):
                    logger.warning("graph degraded", metadata: ["node": .string(degradation.node), "reason": .string(degradation.reason)])
                case .level, .speaking, .endOfStream:
                    break
                }
            }
        }
    }
}
