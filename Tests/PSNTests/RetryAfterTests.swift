import Foundation
import PSN
import Testing

@Suite("Retry-After is read defensively and clamped")
struct RetryAfterTests {
    @Test("seconds, decimals and HTTP-dates within 1…300 s are honoured")
    func plain() {
        #expect(RetryAfter.seconds("1") == 1)
        #expect(RetryAfter.seconds(" 42 ") == 42)
        #expect(RetryAfter.seconds("2.5") == 2.5)
        #expect(RetryAfter.seconds("300") == 300)
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:50:07 GMT", now: now) == 30)
        #expect(RetryAfter.duration("2.5") == .milliseconds(2500))
    }

    @Test("absent or unreadable values wait the F.4 default of 60 s")
    func fallback() {
        for value in [nil, "", "   ", "soon", "nan", "NaN", "inf", "-inf", "infinity", "1e3", "0x10", "1.", ".5", "1,5",
                      "12 s", "١٢"] as [String?] {
            #expect(RetryAfter.seconds(value) == 60, "\(value ?? "nil")")
        }
    }

    @Test("negative, zero, huge and past values are clamped, never trapping")
    func clamped() {
        #expect(RetryAfter.seconds("0") == 1)
        #expect(RetryAfter.seconds("-5") == 1)
        #expect(RetryAfter.seconds("0.001") == 1)
        #expect(RetryAfter.seconds("301") == 300)
        #expect(RetryAfter.seconds("99999999999999999999999999") == 300)
        #expect(RetryAfter.seconds(String(repeating: "9", count: 400)) == 300, "parses as +inf")
        #expect(RetryAfter.seconds("-" + String(repeating: "9", count: 400)) == 1, "parses as -inf")
        let now = Date(timeIntervalSince1970: 784_111_777)
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 1, "a date in the past")
        #expect(RetryAfter.seconds("Fri, 31 Dec 9999 23:59:59 GMT", now: now) == 300, "a date far ahead")
        for value in ["inf", String(repeating: "9", count: 400), "-1", "1e308"] {
            let duration = RetryAfter.duration(value)
            #expect(duration >= .seconds(1) && duration <= .seconds(300))
        }
    }
}
