import Foundation
import MotCuaSimulation
import Synchronization
import Testing

/// The deterministic simulation of the federation (`MotCuaSimulation`), over many seeds.
///
/// `MOTCUA_SIM_SEEDS` (default 200) seeds from `MOTCUA_SIM_FIRST_SEED` (default 1); `MOTCUA_SIM_SEED`
/// replays one. `scripts/simulate` sets them.
@Suite("Deterministic simulation")
struct SimulationTests {
    @Test func everySeedConvergesWithItsInvariantsHeld() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64]
        if let one = environment["MOTCUA_SIM_SEED"].flatMap(UInt64.init) {
            seeds = [one]
        } else {
            let count = environment["MOTCUA_SIM_SEEDS"].flatMap(Int.init) ?? 200
            let first = environment["MOTCUA_SIM_FIRST_SEED"].flatMap(UInt64.init) ?? 1
            seeds = (0..<UInt64(max(0, count))).map { first + $0 }
        }
        // Seeds are independent (each its own folder, stores and services): they run in lanes, one per core
        // by default (`MOTCUA_SIM_LANES`), each lane taking every n-th seed.
        let lanes = max(1, environment["MOTCUA_SIM_LANES"].flatMap(Int.init) ?? min(4, ProcessInfo.processInfo.activeProcessorCount))
        let failureCount = FailureCount()
        let started = Date()
        let outcomes = await withTaskGroup(of: (Simulation.Report, [String]).self) { group in
            for lane in 0..<min(lanes, max(1, seeds.count)) {
                group.addTask {
                    var report = Simulation.Report()
                    var problems: [String] = []
                    for seed in stride(from: lane, to: seeds.count, by: lanes).map({ seeds[$0] }) {
                        if failureCount.value >= 5 { break }
                        do {
                            report.add(try await Simulation(seed: seed).run())
                        } catch let failure as Simulation.Failure {
                            failureCount.increment()
                            problems.append("\(failure)")
                        } catch {
                            // A service threw where the workload expected none: as much a finding as a broken invariant.
                            failureCount.increment()
                            problems.append("simulation seed \(seed) failed: \(error)\n  replay: scripts/simulate --seed \(seed)")
                        }
                    }
                    return (report, problems)
                }
            }
            var all: [(Simulation.Report, [String])] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        var total = Simulation.Report()
        for (report, problems) in outcomes {
            total.add(report)
            for problem in problems { Issue.record("\(problem)") }
        }
        let failures = failureCount.value
        print("""
            simulation: \(seeds.count) seeds (\(lanes) lanes) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s, \(failures) failed; \
            \(total.filed) dossiers filed, \(total.actions) actions, \(total.transfers) transfers, \(total.eventsReplicated) events replicated, \
            \(total.messagesDropped) messages dropped, \(total.messagesDuplicated) duplicated, \(total.crashes) crashes, \(total.partitions) partitions, \
            \(Int(total.simulatedSeconds)) simulated seconds
            """)
    }
}

/// Failures so far across the lanes: after five, every lane stops.
private final class FailureCount: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}
