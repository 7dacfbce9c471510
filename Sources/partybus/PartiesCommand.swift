import ArgumentParser
import Foundation
import PSN
import PartyBusCore

/// `partybus parties …`: sessionManager parties from the command line.
struct PartiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parties", abstract: "List, create, join, leave and invite to parties.",
        subcommands: [List.self, Show.self, Create.self, Join.self, Leave.self, Invite.self, Invitations.self, Link.self])

    static func describe(_ party: PartySession) -> String {
        let members = (party.members ?? []).map { "\($0.onlineId ?? $0.accountId)[\($0.platform ?? "?")]" }
        return "\(party.sessionId)  \"\(party.sessionName ?? "")\"  \(members.count)/\(party.maxMembers ?? 0)  "
            + members.joined(separator: ", ")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "My parties (bulkGet).")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await PSNSupport.withClient(global) { client in
                let parties = try await client.parties.list()
                if parties.isEmpty { print("no parties") }
                parties.map(PartiesCommand.describe).forEach { print($0) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One party in full (recorded as party.snapshot).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The party session id.") var sessionId: String
        func run() async throws {
            try await PSNSupport.withClient(global) { client in
                guard let party = try await client.parties.get([sessionId]).first else {
                    printError("no party \(sessionId) visible to this account")
                    throw ExitCode(1)
                }
                print(PartiesCommand.describe(party))
                for member in party.members ?? [] {
                    print("  #\(member.joinOrder ?? 0) \(member.onlineId ?? "?") \(member.accountId) \(member.platform ?? "?")")
                }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a party with me in it.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "The party's name.") var name = ""
        func run() async throws {
            try await PSNSupport.withClient(global) { client in print(try await client.parties.create(name: name)) }
        }
    }

    struct Join: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Join a party (I must be invited).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The party session id.") var sessionId: String
        func run() async throws {
            try await PSNSupport.withClient(global) { client in
                try await client.parties.join(sessionId)
                print("joined \(sessionId)")
            }
        }
    }

    struct Leave: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leave a party.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The party session id.") var sessionId: String
        func run() async throws {
            try await PSNSupport.withClient(global) { client in
                try await client.parties.leave(sessionId)
                print("left \(sessionId)")
            }
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Invite accounts to a party.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The party session id.") var sessionId: String
        @Argument(help: "Account ids to invite.") var accountIds: [String]
        func run() async throws {
            try await PSNSupport.withClient(global) { client in
                try await client.parties.invite(sessionId, accountIds: accountIds)
                print("invited \(accountIds.joined(separator: ", "))")
            }
        }
    }

    struct Invitations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Invitations addressed to me.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await PSNSupport.withClient(global) { client in
                let invitations = try await client.parties.invitations()
                if invitations.isEmpty { print("no invitations") }
                for invitation in invitations {
                    print("\(invitation.sessionId)  from \(invitation.from?.onlineId ?? invitation.from?.accountId ?? "?")")
                }
            }
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve a party share link to its party (B.8).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "https://party.playstation.com/<id> or the id.") var link: String
        func run() async throws {
            try await PSNSupport.withClient(global) { client in
                let info = try await client.parties.resolveLink(link)
                print("\(info.sessionId)  \"\(info.sessionName ?? "")\"  joinable: \(info.isJoinable ?? false)")
                for member in info.members ?? [] {
                    print("  \(member.onlineId ?? "?") [\(member.platformId ?? "?")]\(member.isHost == true ? " host" : "")")
                }
            }
        }
    }
}
