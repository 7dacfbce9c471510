import Foundation
import Hummingbird

/// The run-time control API under `/sim/admin/...` (JSON in, JSON out). Errors use the F.3 body.
extension SimulatorCore {
    static let admin = "/sim/admin"

    func addAdminRoutes(to router: Router<BasicRequestContext>) {
        let base = Self.admin

        router.get("\(base)/faults") { _, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                HTTPIO.json(200, try Self.encode(self.withState { $0.faults }))
            }
        }

        // Partial update: only the keys present change.
        router.post("\(base)/faults") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let patch = try CoreState.requireObject(try await HTTPIO.jsonBody(request))
                let current = self.withState { $0.faults }
                guard var merged = try Self.encode(current).objectValue else { throw .body("null") }
                for (key, value) in patch.entries { merged[key] = value }
                let updated: FaultSwitches = try Self.decode(.object(merged))
                self.withState { $0.faults = updated }
                return HTTPIO.json(200, try Self.encode(updated))
            }
        }

        router.post("\(base)/faults/http") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                guard let body = try await HTTPIO.jsonBody(request) else { throw .body("null") }
                let rule: HTTPFaultRule = try Self.decode(body)
                self.withState { $0.faults.httpFaults.append(rule) }
                return HTTPIO.json(201, try Self.encode(rule))
            }
        }

        router.delete("\(base)/faults/http") { _, _ -> Response in
            self.withState { $0.faults.httpFaults.removeAll() }
            return HTTPIO.empty(204)
        }

        router.post("\(base)/push/drop") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let body = try CoreState.requireObject(try await HTTPIO.jsonBody(request))
                guard let accountId = body["accountId"]?.stringValue else { throw .body("accountId") }
                let n = self.withState { $0.commandSockets(of: accountId, .drop) }
                return HTTPIO.json(200, .object(["sockets": .int(n)]))
            }
        }

        router.post("\(base)/push/close") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let body = try CoreState.requireObject(try await HTTPIO.jsonBody(request))
                guard let accountId = body["accountId"]?.stringValue else { throw .body("accountId") }
                let code = body["code"]?.intValue ?? 65535
                guard (0...65535).contains(code) else { throw .body("code") }
                let reason = body["reason"]?.stringValue
                let n = self.withState { $0.commandSockets(of: accountId, .close(code: UInt16(code), reason: reason)) }
                return HTTPIO.json(200, .object(["sockets": .int(n)]))
            }
        }

        router.get("\(base)/push/sockets") { request, _ -> Response in
            let accountId = request.uri.queryParameters.get("accountId") ?? ""
            let n = self.withState { $0.authenticatedSocketCount(accountId) }
            return HTTPIO.json(200, .object(["accountId": .string(accountId), "authenticated": .int(n)]))
        }

        // rtcBridge state without tokens, and the H 14 timing flags.
        router.get("\(base)/rtc") { _, _ -> Response in
            HTTPIO.json(200, self.withState { $0.rtcAdminState() })
        }

        router.get("\(base)/clock") { _, _ -> Response in
            HTTPIO.json(200, .object(["nowMs": .int64(self.withState { $0.nowMs })]))
        }

        // {"advanceMs": n} moves the clock forward; {"epochMs": n} pins it.
        router.post("\(base)/clock") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let body = try CoreState.requireObject(try await HTTPIO.jsonBody(request))
                let advance = body["advanceMs"].flatMap { Int64($0.intValue ?? Int.min) }
                let epoch = body["epochMs"].flatMap { Int64($0.intValue ?? Int.min) }
                if let advance, advance == Int64(Int.min) { throw .body("advanceMs") }
                if let epoch, epoch == Int64(Int.min) { throw .body("epochMs") }
                guard advance != nil || epoch != nil else { throw .body("advanceMs") }
                let now = self.withState { (s: inout CoreState) -> Int64 in
                    if let epoch { s.clock.fixedEpochMs = epoch; s.clock.offsetMs = 0 }
                    if let advance { s.clock.offsetMs += advance }
                    return s.nowMs
                }
                return HTTPIO.json(200, .object(["nowMs": .int64(now)]))
            }
        }

        router.get("\(base)/accounts") { _, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                HTTPIO.json(200, .object(["accounts": try Self.encode(self.redactedAccounts())]))
            }
        }

        router.post("\(base)/accounts") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                guard let body = try await HTTPIO.jsonBody(request) else { throw .body("null") }
                let account: SimulatedAccount = try Self.decode(body)
                guard Encoding.isAccountIdDigits(account.accountId) else { throw .body("accountId") }
                var added = self.withState { $0.addAccount(account) }
                added.npsso = ""
                return HTTPIO.json(201, try Self.encode(added))
            }
        }

        router.get("\(base)/parties") { _, _ -> Response in
            let parties = self.withState { state in
                state.parties.values.sorted { $0.creationSequence > $1.creationSequence }.map { party -> JSONValue in
                    var object = state.sessionObject(party).objectValue ?? JSONObject()
                    object["linkId"] = .string(party.linkId)
                    object["invitedAccountIds"] = .array(party.invitations.map { .string($0.toAccountId) })
                    return .object(object)
                }
            }
            return HTTPIO.json(200, .object(["parties": .array(parties)]))
        }

        // {"actor": "<accountId|onlineId>", "action": "join", "args": {...}}
        router.post("\(base)/act") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let body = try CoreState.requireObject(try await HTTPIO.jsonBody(request))
                guard let actor = body["actor"]?.stringValue else { throw .body("actor") }
                guard let action = body["action"]?.stringValue else { throw .body("action") }
                let args = body["args"]?.objectValue ?? [:]
                let result = try self.withState { (s: inout CoreState) throws(APIError) -> JSONValue in
                    try s.perform(actorName: actor, action: action, args: args)
                }
                return HTTPIO.json(200, result)
            }
        }

        // {"steps": [...]} or [...] or {"path": "/file.json"}: runs in the background.
        router.post("\(base)/script") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                guard let body = try await HTTPIO.jsonBody(request) else { throw .body("steps") }
                let steps: [ScriptStep]
                if let path = body["path"]?.stringValue {
                    do { steps = try Self.loadScript(path: path) } catch { throw .body("path") }
                } else {
                    steps = try ScriptStep.parseScript(body)
                }
                self.runScript(steps)
                return HTTPIO.json(202, .object(["scheduled": .int(steps.count)]))
            }
        }
    }

    /// Every account with its npsso blanked (the admin API never returns a secret).
    ///
    /// Kept out of the route's async typed-throws closure on purpose: Swift 6.3.1's optimizer crashed (signal 11 in
    /// LLVM coroutine splitting) on that closure when it read the accounts under the lock, mapped them and encoded
    /// the result (docs/architecture.md, item 36).
    func redactedAccounts() -> [SimulatedAccount] {
        withState { $0.accounts }.map { account in
            var redacted = account
            redacted.npsso = ""
            return redacted
        }
    }

    static func encode(_ value: some Encodable) throws(APIError) -> JSONValue {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try JSONValue.parse(Array(try encoder.encode(value)))
        } catch {
            throw .body("null")
        }
    }

    static func decode<T: Decodable>(_ value: JSONValue) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(value.serialized.utf8))
        } catch let DecodingError.keyNotFound(key, _) {
            throw .body(key.stringValue)
        } catch let DecodingError.typeMismatch(_, context) {
            throw .body(context.codingPath.last?.stringValue ?? "null")
        } catch {
            throw .body("null")
        }
    }
}
