import Foundation
import PartyBusPluginAPI

/// POSTs each matching event as JSON to a URL, signed with HMAC-SHA256 over timestamp and body, retried with
/// backoff, dead-lettered (`webhook.dead_letter`) after `max_attempts`. Handling an event only queues it (bounded;
/// drops are counted and published as `webhook.dropped`), so a slow receiver never holds up the bus.
public final class WebhookPlugin: LoadablePlugin {
    public static let name = "webhook"
    public static let version = "1.0.0"
    public static let defaultEvents = ["party.*"]

    private let context: any PluginContext
    private let options: WebhookOptions
    private let delivery: WebhookDelivery?

    public init(context: any PluginContext, options: PluginOptions) async throws {
        self.context = context
        self.options = try WebhookOptions(options, plugin: context.pluginName)
        guard context.mode == .live else {
            delivery = nil
            return
        }
        let logger = context.logger
        let restored = PendingFile.take(from: context.dataDirectory) { logger.warning("\($0)") }
        if !restored.isEmpty { logger.info("webhook: \(restored.count) deliveries left from the last run queued again") }
        let delivery = WebhookDelivery(options: self.options, context: context, restored: restored)
        await delivery.start()
        self.delivery = delivery
        logger.info("webhook: delivering to \(self.options.shownURL)")
    }

    public func handle(_ event: Event) async throws {
        guard let delivery else {
            try await context.performSideEffect("POST \(options.shownURL) \(event.type) #\(event.seq)") {}
            return
        }
        if await !delivery.enqueue(PendingDelivery(event: event)) {
            context.logger.warning("webhook: queue full (\(options.queueCapacity)); #\(event.seq) \(event.type) dropped")
        }
        if let report = await delivery.takeDropReport() { try await context.publish(report) }
    }

    public func stop() async {
        guard let delivery else { return }
        let left = await delivery.stop()
        if let report = await delivery.takeDropReport(force: true) { _ = try? await context.publish(report) }
        do {
            try PendingFile.save(left, in: context.dataDirectory)
            if !left.isEmpty { context.logger.info("webhook: \(left.count) undelivered events kept for the next start") }
        } catch {
            context.logger.error("webhook: \(left.count) undelivered events could not be kept: \(error)")
        }
    }
}
