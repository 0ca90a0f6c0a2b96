import ArgumentParser

/// `motcua`: one executable for every role, the operator's tools and the officers' client.
@main
struct MotCua: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "motcua",
        abstract: "MotCua: the one-stop-shop federation for administrative procedures.",
        subcommands: [
            UpCommand.self, StatusCommand.self, DownCommand.self, NodeCommand.self, HubCommand.self, CertsCommand.self,
            CtlCommand.self, DemoCommand.self, CalendarCommand.self, IdCommand.self,
        ])
}
