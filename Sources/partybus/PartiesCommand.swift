import ArgumentParser
import Foundation
import PSN
import PartyBusCore

/// `partybus parties …`: sessionManager parties through the daemon's control API (in-process when none runs).
struct PartiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parties", abstract: "List, create, join, leave and invite to parties (through the running daemon).",
        subcommands: [
            List.self, Show.self, Create.self, Join.self, Leave.self, Invite.self, Invitations.self, Accept.self, Link.self,
        ])

    static func describe(_ party: PartySession) -> String {
        let members = (party.members ?? []).map { "\($0.onlineId ?? $0.accountId)[\($0.platform ?? "?")]" }
        return "\(party.sessionId)  \"\(party.sessionName ?? "")\"  \(members.count)/\(party.maxMembers ?? 0)  "
            + members.joined(separator: ", ")
    }

    /// Prints the API's answer as JSON when asked, else with `human`.
    static func output(_ data: Data, json: Bool, human: () throws -> Void) throws {
        if json { print(String(decoding: data, as: UTF8.self)) } else { try human() }
    }

    /// `--json` for every verb.
    struct Output: ParsableArguments {
        @Flag(name: .long, help: "Print the API's JSON answer as it came.") var json = false
    }

    /// The answer of the acting routes.
    struct Answer: Decodable {
        var sessionId: String
        var action: String
        var voiceStopped: Bool?
        var accountIds: [String]?
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "My parties (bulkGet).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: Output
        func run() async throws {
            let data = try await DaemonAPI.call(global, "GET", "/v1/parties")
            try PartiesCommand.output(data, json: output.json) {
                let parties = try JSONDecoder().decode([PartySession].self, from: data)
                if parties.isEmpty { print("no parties") }
                parties.map(PartiesCommand.describe).forEach { print($0) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One party in full (recorded as party.snapshot).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: Output
        @Argument(help: "The party session id.") var sessionId: String
        func run() async throws {
            let data = try await DaemonAPI.call(global, "GET", "/v1/parties/\(sessionId)")
            try PartiesCommand.output(data, json: output.json) {
                let party = try JSONDecoder().decode(PartySession.self, from: data)
                print(PartiesCommand.describe(party))
                for member in party.members ?? [] {
                    print("  #\(member.joinOrder ?? 0) \(member.onlineId ?? "?") \(member.accountId) \(member.platform ?? "?")")
                }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a party with me in it; prints its session id.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: Output
        @Option(name: .long, help: "The party's name.") var name = ""
        @Option(name: .long, help: "Capacity, 1…16.") var maxMembers = 16
        func run() async throws {
            let data = try await DaemonAPI.call(global, "POST", "/v1/parties", body: ["name": name, "maxMembers": maxMembers])
            try PartiesCommand.output(data, json: output.json) {
                print(try JSONDecoder().decode([String: String].self, from: data)["sessionId"] ?? "?")
            }
        }
    }

    struct Join: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Join a party (I must be invited).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: Output
        @Argument(help: "The party session id.") var sessionId: String
        func run() async throws {
            let data = try await DaemonAPI.call(global, "POST", "/v1/parties/\(sessionId)/join")
            try PartiesCommand.output(data, json: output.json) {
                print("joined \(try JSONDecoder().decode(Answer.self, from: data).sessionId)")
            }
        }
    }

    struct Leave: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leave a party (voice in it stops first).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: Output
        @Argument(help: "The party session id.") var sessionId: String
        func run() async throws {
            let data = try await DaemonAPI.call(global, "POST", "/v1/parties/\(sessionId)/leave")
            try PartiesCommand.output(data, json: output.json) {
                let answer = try JSONDecoder().decode(Answer.self, from: data)
                print("left \(answer.sessionId)\(answer.voiceStopped == true ? " (voice stopped first)" : "")")
            }
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Invite accounts to a party.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: Output
        @Argument(help: "The party session id.") var sessionId: String
        @Argument(help: "Account ids to invite.") var accountIds: [String]
        func run() async throws {
            let data = try await DaemonAPI.call(
                global, "POST", "/v1/parties/\(sessionId)/invitations", body: ["accountIds": accountIds])
            try PartiesCommand.output(data, json: output.json) {
                let answer = try JSONDecoder().decode(Answer.self, from: data)
                print("invited \((answer.accountIds ?? []).joined(separator: ", "))")
            }
        }
    }

    struct Invitations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Invitations addressed to me (listed, and received by push).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: Output
        func run() async throws {
            struct Invitation: Decodable { var sessionId: String; var sessionName: String?; var from: PartyMember?; var via: String }
            let data = try await DaemonAPI.call(global, "GET", "/v1/invitations")
            try PartiesCommand.output(data, json: output.json) {
                let invitations = try JSONDecoder().decode([Invitation].self, from: data)
                if invitations.isEmpty { print("no invitations") }
                for invitation in invitations {
                    print("\(invitation.sessionId)  from \(invitation.from?.onlineId ?? invitation.from?.accountId ?? "?")  (\(invitation.via))")
                }
            }
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept an invitation (join its party).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: Output
        @Argument(help: "The party session id of the invitation.") var sessionId: String
        func run() async throws {
            let data = try await DaemonAPI.call(global, "POST", "/v1/invitations/\(sessionId)/accept")
            try PartiesCommand.output(data, json: output.json) {
                print("joined \(try JSONDecoder().decode(Answer.self, from: data).sessionId)")
            }
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve a party share link to its party (B.8).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: Output
        @Argument(help: "https://party.playstation.com/<id> or the id.") var link: String
        func run() async throws {
            let linkId = link.split(separator: "/").last.map(String.init) ?? link
            let data = try await DaemonAPI.call(
                global, "GET", "/v1/links/\(linkId.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? linkId)")
            try PartiesCommand.output(data, json: output.json) {
                let info = try JSONDecoder().decode(PartyInfo.self, from: data)
                print("\(info.sessionId)  \"\(info.sessionName ?? "")\"  joinable: \(info.isJoinable ?? false)")
                for member in info.members ?? [] {
                    print("  \(member.onlineId ?? "?") [\(member.platformId ?? "?")]\(member.isHost == true ? " host" : "")")
                }
            }
        }
    }
}
