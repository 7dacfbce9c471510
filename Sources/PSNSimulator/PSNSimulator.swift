/// The offline PSN simulator (psn-protocol.md section H). Work in progress.
public enum PSNSimulatorInfo {
    /// The simulator's version.
    public static let version = "0.0.1"
}
