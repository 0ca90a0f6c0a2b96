import ArgumentParser
import Foundation
import MotCuaCore

/// `motcua id check`: validates and decodes a personal ID number or a tax code.
struct IdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "id", abstract: "Identifiers.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate and decode a personal ID number (12 digits) or a tax code (10 or 13 digits).")

        @Argument(help: "The value, e.g. 001095012345 or 0100233488 or 0314409058-002.")
        var value: String
        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            var fields: [(String, String)] = []
            let digits = value.filter(\.isNumber)
            do {
                if digits.count == 12 && !value.contains("-") {
                    let id = try PersonalIDNumber.parse(value)
                    fields = [
                        ("kind", "personal ID number (CCCD); also the individual's tax code from 2025-07-01"),
                        ("number", id.digits),
                        ("birth registration", id.bornAbroad ? "abroad" : (id.birthRegistrationProvince.map { "\($0.oldName) (code \($0.oldCode); since 2025-07-01 part of \($0.newName))" } ?? "unknown")),
                        ("sex", id.sex.rawValue),
                        ("birth year", String(id.birthYear)),
                    ]
                } else {
                    let tax = try TaxCode.parse(value)
                    fields = [("kind", "tax code (\(tax.kind.rawValue))"), ("normalized", tax.normalized)]
                    if let province = tax.provinceCode { fields.append(("issuing area code", province)) }
                    if let branch = tax.branch { fields.append(("branch", branch)) }
                }
            } catch {
                if json {
                    print(JSONValue.object(["valid": .bool(false), "error": .string(error.code), "message": .string(error.description)]).canonicalText)
                } else {
                    print("invalid: \(error.description)")
                }
                throw ExitCode(1)
            }
            if json {
                var object = Dictionary(fields.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { a, _ in a })
                object["valid"] = .bool(true)
                print(JSONValue.object(object).canonicalText)
            } else {
                print("valid")
                for (name, value) in fields { print("  \(name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(value)") }
            }
        }
    }
}
