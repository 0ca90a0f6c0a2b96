import Foundation

/// Gives memory back after a burst. A hub draining a backlog holds a batch of every node at once, and
/// glibc keeps what is freed inside its arenas: without a trim the hub stayed at its peak (about
/// 240 MB after a 34-node drain) long after. Every ten seconds a process above `trimAboveBytes` resident
/// hands its free pages back (`malloc_trim`): 12 s after that drain, 119 MB. Below it nothing is done,
/// so a process at its usual size never has to fault its pages in again after a trim.
///
/// A process that has gone quiet (under 1 % of a core over a check) trims once too, whatever its size: a
/// hub whose 39 nodes' idle replication connections had closed (after a minute) still held their TLS
/// buffers at 62 MB resident; trimmed, 59-59.7 MB.
///
/// Between trims glibc keeps what it frees instead of giving it back at once: a fixed mmap threshold and a
/// high trim threshold. With glibc's defaults each replication batch (a few hundred KB, a little larger
/// than the last) was mapped fresh and unmapped again, and a node spent about a tenth of its drain CPU
/// faulting in and zeroing those pages (node CPU per event in three 34-node drains each: 7.9-9.2 µs
/// before, 6.7-7.4 µs after).
enum ServerMemory {
    static let checkIntervalSeconds: TimeInterval = 10
    static let trimAboveBytes = 100 << 20
    /// Allocations below this come from the heap, not from a mapping of their own.
    static let mmapThresholdBytes: Int32 = 4 << 20
    /// Free memory at the top of a heap is kept up to this much (the periodic trim still returns it).
    static let trimThresholdBytes: Int32 = 64 << 20
    /// Below this much CPU over one check interval the process counts as quiet (1 % of a core).
    static let quietCPUSeconds = checkIntervalSeconds / 100

    static func startTrimming() {
        #if os(Linux)
        _ = glibcMallopt(mallocTrimThreshold, trimThresholdBytes)
        _ = glibcMallopt(mallocMmapThreshold, mmapThresholdBytes)
        // A plain thread, not a task: a task sleeping in a loop on Swift's executors cost the replication
        // lag at 500 events/s about 2 ms at p50 (measured, not understood).
        Thread.detachNewThread {
            var lastCPU = cpuSeconds()
            var trimmedSinceBusy = false
            while true {
                Thread.sleep(forTimeInterval: checkIntervalSeconds)
                let cpu = cpuSeconds()
                let quiet = cpu - lastCPU < quietCPUSeconds
                lastCPU = cpu
                if !quiet { trimmedSinceBusy = false }
                if let resident = residentBytes(), resident > trimAboveBytes || (quiet && !trimmedSinceBusy) {
                    _ = glibcMallocTrim(0)
                    trimmedSinceBusy = quiet
                }
            }
        }
        #endif
    }

    /// CPU time used by the whole process so far.
    static func cpuSeconds() -> Double { Double(clock()) / Double(CLOCKS_PER_SEC) }

    /// Resident set size from /proc/self/statm (its second field, in pages).
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

#if os(Linux)
/// `malloc_trim` and `mallopt` are declared in <malloc.h>, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
/// `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` from <malloc.h>.
private let mallocTrimThreshold: Int32 = -1
private let mallocMmapThreshold: Int32 = -3
#endif
