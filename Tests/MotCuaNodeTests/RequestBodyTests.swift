import Foundation
import MotCuaAPI
import MotCuaCore
import Testing

@testable import MotCuaNode

@Suite("Request bodies")
struct RequestBodyTests {
    @Test func base64WithAStrayCharacterIsRefusedNamingTheComponent() {
        let upload = UploadBody(code: "TP1", fileName: "a.pdf", contentBase64: "YW Jj\r\nZA==")
        #expect((try? ActionBody.bytes(of: upload, field: "components[0]")) == Array("abcd".utf8))
        let stray = UploadBody(code: "TP1", fileName: "a.pdf", contentBase64: "YWJj!ZA==")
        #expect(throws: DossierError.self) { try ActionBody.bytes(of: stray, field: "components[0]") }
    }
}
