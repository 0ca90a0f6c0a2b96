import Foundation
import Logging
import MotCuaCore
import MotCuaStore
import ServiceLifecycle

/// The node's background duties beside its HTTP server: once, half a minute after start (start-up and a
/// replication catch-up come first), the whole chain is re-walked (a break stops writes); every hour, idempotency keys older than two days are forgotten (they are kept at
/// least 24 hours).
struct NodeMaintenance: Service {
    let service: NodeService
    static let keyRetention: TimeInterval = 48 * 3600

    func run() async throws {
        await cancelWhenGracefulShutdown {
            try? await service.clock.sleep(for: .seconds(30))
            let report = try? await service.verifyChain()
            if let report, !report.intact {
                service.logger.critical("event log chain broken", metadata: ["seq": "\(report.firstBreakSeq ?? 0)", "detail": "\(report.firstBreak ?? "")"])
            }
            while !Task.isCancelled {
                _ = try? await service.database.purgeIdempotencyKeys(claimedBefore: service.now().addingTimeInterval(-Self.keyRetention))
                try? await service.clock.sleep(for: .seconds(3600))
            }
        }
    }
}
