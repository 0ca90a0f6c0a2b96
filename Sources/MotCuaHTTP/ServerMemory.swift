import Foundation
import MotCuaCore
import ServiceLifecycle
import Synchronization

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
///
/// Once start-up is over, and once quiet after each burst, a process also lets go of the code it mapped
/// but no longer runs (`releaseCodePages`). Most of
/// a server's resident set is code: the kernel maps a file's cached pages 64 KB around each page a
/// process first runs, and start-up (command line, migrations, TLS set-up) runs code that serving never
/// touches again. A hub 80 s after `motcua up` of the 2025 topology held 60.3 MB resident, 22 MB of it the
/// `motcua` binary; with its code unmapped and faulted back on use, 50.9 MB after 25 s. A node: 51.6 MB,
/// then 28.9 MB. The pages stay in the page cache, so nothing is read from disk again; where one process
/// has the binary to itself (a node in its container) the kernel can now reclaim what is not in use.
enum ServerMemory {
    /// Checks are frequent so that a process that has just started (or just finished a burst) settles soon;
    /// the trim of a large process runs only every `largeTrimEvery` checks.
    static let checkIntervalSeconds: TimeInterval = 2
    static let largeTrimEvery = 5
    static let trimAboveBytes = 100 << 20
    /// Allocations below this come from the heap, not from a mapping of their own.
    static let mmapThresholdBytes: Int32 = 4 << 20
    /// Free memory at the top of a heap is kept up to this much (the periodic trim still returns it).
    static let trimThresholdBytes: Int32 = 64 << 20
    /// Below this much CPU over one check interval the process counts as quiet (1 % of a core).
    static let quietCPUSeconds = checkIntervalSeconds / 100
    /// Below this much, a process that has just started counts as settled (5 % of a core): a hub answering
    /// the directory checks of 39 nodes while the federation starts (each asks every 2 s in its first
    /// minute) uses 1-2 %. A node taking 167 submissions/s uses about as much, which is why quiet stays at
    /// 1 %: with quiet at 5 %, such nodes were trimmed whenever their load dipped, and the replication lag's
    /// p99 went to 9-11 ms (5-9 ms otherwise).
    static let settledCPUSeconds = checkIntervalSeconds * 0.05

    /// Sets glibc's thresholds, then checks every `checkIntervalSeconds` on a thread of its own until
    /// `stop` is set.
    static func trim(until stop: borrowing Atomic<Bool>) {
        #if os(Linux)
        _ = glibcMallopt(mallocTrimThreshold, trimThresholdBytes)
        _ = glibcMallopt(mallocMmapThreshold, mmapThresholdBytes)
        var lastCPU = processCPUSeconds()
        var trimmedSinceBusy = false
        var settled = false
        var check = 0
        while !stop.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: checkIntervalSeconds)
            check += 1
            let cpu = processCPUSeconds()
            let used = cpu - lastCPU
            lastCPU = cpu
            let quiet = used < quietCPUSeconds
            if !quiet { trimmedSinceBusy = false }
            if (quiet && !trimmedSinceBusy) || (!settled && used < settledCPUSeconds) {
                // Once quiet after each burst, and once when start-up is over.
                _ = glibcMallocTrim(0)
                releaseCodePages()
                trimmedSinceBusy = quiet
                settled = true
            } else if check % largeTrimEvery == 0, let resident = residentBytes(), resident > trimAboveBytes {
                _ = glibcMallocTrim(0)
            }
        }
        #endif
    }

    /// Unmaps the pages of every executable file mapping (the binary's code and the shared libraries'):
    /// those the process runs again fault straight back in from the page cache. Only read-only,
    /// executable, file-backed mappings are touched: their pages equal the file's (unless a debugger has
    /// planted breakpoints in them), so dropping them loses nothing; a writable or anonymous mapping would
    /// lose its contents. Returns the mappings released.
    @discardableResult
    static func releaseCodePages() -> Int {
        #if os(Linux)
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return 0 }
        var released = 0
        for line in maps.split(separator: "\n") {
            // "start-end perms offset dev inode path"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "r-xp", fields[5].hasPrefix("/") else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), end > start,
                  let address = UnsafeMutableRawPointer(bitPattern: start) else { continue }
            if madvise(address, Int(end - start), MADV_DONTNEED) == 0 { released += 1 }
        }
        return released
        #else
        return 0
        #endif
    }

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

/// Memory trimming (`ServerMemory`) as one of a server's services: it starts with the server and its
/// thread ends at the server's shutdown. The checks run on a plain thread, not a task: a task sleeping in
/// a loop on Swift's executors cost replication lag (docs/PERFORMANCE.md, "Design choices": the
/// trimmer's thread).
public struct MemoryTrimmer: Service {
    public init() {}

    public func run() async throws {
        let stop = Stop()
        let thread = Thread { ServerMemory.trim(until: stop.flag) }
        thread.name = "motcua-memory"
        thread.start()
        // Waits for the shutdown (or cancellation) without holding a thread; the checker sees the flag
        // within one interval.
        try? await gracefulShutdown()
        stop.flag.store(true, ordering: .relaxed)
    }

    private final class Stop: Sendable {
        let flag = Atomic<Bool>(false)
    }
}
