import PSNSimulator
import Testing

@Suite("PSN simulator")
struct SimulatorSmokeTests {
    @Test("the module builds")
    func version() {
        #expect(!PSNSimulatorInfo.version.isEmpty)
    }
}
