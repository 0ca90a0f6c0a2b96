/// How `motcua hub` and `motcua node` use glibc's allocator.
///
/// A hub draining a backlog holds every node's batch at once (a few hundred MB). By default glibc serves
/// each batch-sized block with a fresh `mmap` and hands heap tops back as soon as they are free, so the
/// kernel zeroed new pages for nearly every batch: a tenth of the hub's CPU during a 34-node drain. Here
/// freed memory stays in the process while the burst lasts, and every ten seconds what is free goes
/// back to the system (`malloc_trim`, a fraction of a millisecond on an idle heap): after a drain the hub
/// falls back from about 240 MB to about 120 MB instead of staying at its peak.
enum ServerMemory {
    static let trimInterval: Duration = .seconds(10)

    static func configure() {
        #if os(Linux)
        // <malloc.h>: M_TRIM_THRESHOLD -1, M_MMAP_THRESHOLD -3.
        _ = glibcMallopt(-3, 32 << 20)
        _ = glibcMallopt(-1, 256 << 20)
        Task.detached(priority: .background) {
            while true {
                try? await Task.sleep(for: trimInterval)
                _ = glibcMallocTrim(0)
            }
        }
        #endif
    }
}

#if os(Linux)
// `mallopt` and `malloc_trim` are declared in <malloc.h>, which the Glibc module does not export.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
