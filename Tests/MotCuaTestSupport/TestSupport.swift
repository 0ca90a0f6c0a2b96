import Foundation

/// Helpers shared by the test modules that wait on other processes and on conditions.

/// A program's exit status and its combined standard output and error.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var output: String
}

/// Runs blocking work (waiting on a child process) on a thread of its own: held on one of the few
/// threads that run Swift's tasks, it would stall every other test of the run meanwhile.
public func onItsOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Runs a program to its end, on a thread of its own, reading its output while it runs (a chatty program
/// never blocks on a full pipe). `input` is written to its standard input, which is then closed. With a
/// `limit`, a program still running after that many seconds is terminated.
public func runProgram(_ path: String, _ arguments: [String], input: String? = nil, limit: Double? = nil) async throws -> ProcessOutput {
    try await onItsOwnThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        let stop = DispatchWorkItem { if process.isRunning { process.terminate() } }
        if let limit { DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: stop) }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        stop.cancel()
        return ProcessOutput(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }
}

/// Waits until `condition` holds, looking every 20 ms; past `seconds`, fails naming `what`.
public func waitFor(seconds: Double, _ what: String = "the condition", _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitedTooLong(what: what, seconds: seconds) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

public struct WaitedTooLong: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var description: String { "still waiting for \(what) after \(seconds) s" }
}
