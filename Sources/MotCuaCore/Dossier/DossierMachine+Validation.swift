import Foundation

// Validation of what the applicant hands in.
extension DossierMachine {
    /// Validates the applicant and returns it normalised (trimmed, identifiers in canonical form).
    static func validateApplicant(_ applicant: Applicant, now: Date) throws(DossierError) -> Applicant {
        var normalized = applicant
        let id: PersonalIDNumber
        do { id = try PersonalIDNumber.parse(applicant.idNumber) } catch {
            throw .invalid(field: "applicant.idNumber", reason: error.description)
        }
        if !id.plausible(asOf: VietnamTime.localDate(of: now).year) {
            throw .invalid(field: "applicant.idNumber", reason: "encodes a birth year in the future")
        }
        normalized.idNumber = id.digits
        let name = applicant.fullName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.unicodeScalars.count <= 200 else {
            throw .invalid(field: "applicant.fullName", reason: "required, at most 200 characters")
        }
        normalized.fullName = name
        if let taxCode = applicant.taxCode {
            do { normalized.taxCode = try TaxCode.parse(taxCode).normalized } catch {
                throw .invalid(field: "applicant.taxCode", reason: error.description)
            }
        }
        if let birthDate = applicant.birthDate, birthDate.year != id.birthYear {
            throw .invalid(field: "applicant.birthDate", reason: "the ID number encodes birth year \(id.birthYear), not \(birthDate.year)")
        }
        for (field, value, limit) in [("phone", applicant.phone, 20), ("email", applicant.email, 254), ("address", applicant.address, 500)] {
            if let value, value.unicodeScalars.count > limit {
                throw .invalid(field: "applicant.\(field)", reason: "at most \(limit) characters")
            }
        }
        return normalized
    }

    /// Checks component codes against the procedure and file names; returns the uploads with clean names.
    static func validateComponentCodes(_ uploads: [ComponentUpload], procedure: Procedure) throws(DossierError) -> [ComponentUpload] {
        var seen = Set<String>()
        var cleaned: [ComponentUpload] = []
        for upload in uploads {
            guard procedure.components.contains(where: { $0.code == upload.code }) else { throw .unknownComponent(upload.code) }
            guard seen.insert(upload.code).inserted else {
                throw .invalid(field: "components", reason: "component \(upload.code) appears twice")
            }
            var clean = upload
            clean.fileName = try cleanFileName(upload.fileName, field: "components.fileName")
            cleaned.append(clean)
        }
        return cleaned
    }

    /// A plain file name: trimmed, 1-255 characters, no path separators or control characters.
    public static func cleanFileName(_ raw: String, field: String) throws(DossierError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let forbidden = name.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.properties.generalCategory == .control }
        guard !name.isEmpty, name.unicodeScalars.count <= 255, !forbidden else {
            throw .invalid(field: field, reason: "a plain file name of 1 to 255 characters, without '/', '\\' or control characters")
        }
        return name
    }

    static func validateComponents(_ uploads: [ComponentUpload], procedure: Procedure) throws(DossierError) -> [ComponentUpload] {
        let cleaned = try validateComponentCodes(uploads, procedure: procedure)
        let missing = procedure.components.filter { component in
            component.mandatory && !uploads.contains { $0.code == component.code }
        }
        guard missing.isEmpty else { throw .missingComponents(missing.map { "\($0.code) \($0.name)" }) }
        return cleaned
    }
}
