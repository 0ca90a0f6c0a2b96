import Foundation
import MotCuaSimulation
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
        var total = Simulation.Report()
        var failures = 0
        let started = Date()
        for seed in seeds {
            do {
                let report = try await Simulation(seed: seed).run()
                total.filed += report.filed
                total.actions += report.actions
                total.transfers += report.transfers
                total.messagesDropped += report.messagesDropped
                total.messagesDuplicated += report.messagesDuplicated
                total.crashes += report.crashes
                total.partitions += report.partitions
                total.eventsReplicated += report.eventsReplicated
                total.simulatedSeconds += report.simulatedSeconds
            } catch let failure as Simulation.Failure {
                failures += 1
                Issue.record("\(failure)")
                if failures >= 5 { break }
            } catch {
                // A service threw where the workload expected none: as much a finding as a broken invariant.
                failures += 1
                Issue.record("simulation seed \(seed) failed: \(error)\n  replay: scripts/simulate --seed \(seed)")
                if failures >= 5 { break }
            }
        }
        print("""
            simulation: \(seeds.count) seeds in \(String(format: "%.1f", Date().timeIntervalSince(started))) s, \(failures) failed; \
            \(total.filed) dossiers filed, \(total.actions) actions, \(total.transfers) transfers, \(total.eventsReplicated) events replicated, \
            \(total.messagesDropped) messages dropped, \(total.messagesDuplicated) duplicated, \(total.crashes) crashes, \(total.partitions) partitions, \
            \(Int(total.simulatedSeconds)) simulated seconds
            """)
    }
}
