import Foundation

/// A strict reader of the Prometheus text exposition format (0.0.4): every line a `# HELP`, a `# TYPE` before its
/// samples, or a sample `name{label="value",…} value`; names and labels by the format's grammar; counters end in
/// `_total`; histograms have cumulative `_bucket{le=…}` series ending in `+Inf` equal to `_count`, and a `_sum`.
/// Throws at the first line that breaks a rule, naming it.
struct PrometheusText {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    private(set) var types: [String: String] = [:]
    private(set) var samples: [Sample] = []

    init(_ text: String) throws {
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let label = #"[a-zA-Z_][a-zA-Z0-9_]*"#
        let sampleRegex = try NSRegularExpression(pattern: "^(\(name))(\\{(.*)\\})? (\\S+)( -?[0-9]+)?$")
        let labelRegex = try NSRegularExpression(pattern: "^(\(label))=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"$")
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let where_ = "line \(index + 1): '\(line.prefix(120))'"
            if line.isEmpty { continue }
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                    throw ParseError(description: "\(where_): malformed TYPE")
                }
                guard types[String(parts[2])] == nil else { throw ParseError(description: "\(where_): TYPE given twice") }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            let ns = String(line) as NSString
            guard let match = sampleRegex.firstMatch(in: String(line), range: NSRange(location: 0, length: ns.length)) else {
                throw ParseError(description: "\(where_): not a sample")
            }
            let sampleName = ns.substring(with: match.range(at: 1))
            var labels: [String: String] = [:]
            if match.range(at: 3).location != NSNotFound {
                let body = ns.substring(with: match.range(at: 3))
                for pair in Self.splitLabels(body) where !pair.isEmpty {
                    let pairNS = pair as NSString
                    guard let labelMatch = labelRegex.firstMatch(in: pair, range: NSRange(location: 0, length: pairNS.length)) else {
                        throw ParseError(description: "\(where_): malformed label '\(pair)'")
                    }
                    labels[pairNS.substring(with: labelMatch.range(at: 1))] = pairNS.substring(with: labelMatch.range(at: 2))
                }
            }
            let valueText = ns.substring(with: match.range(at: 4))
            guard let value = Double(valueText) ?? (valueText == "+Inf" ? .infinity : valueText == "-Inf" ? -.infinity : valueText == "NaN" ? .nan : nil)
            else { throw ParseError(description: "\(where_): value '\(valueText)' is not a number") }
            let family = Self.family(of: sampleName, types: types)
            guard types[family] != nil else { throw ParseError(description: "\(where_): sample before its TYPE") }
            samples.append(Sample(name: sampleName, labels: labels, value: value))
        }
        try checkFamilies()
    }

    /// Splits `a="x",b="y,z"` at commas outside quotes.
    static func splitLabels(_ body: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in body {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; current.append(character); continue }
            if character == "\"" { quoted.toggle() }
            if character == "," && !quoted { parts.append(current); current = ""; continue }
            current.append(character)
        }
        parts.append(current)
        return parts
    }

    static func family(of sample: String, types: [String: String]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return sample
    }

    private func checkFamilies() throws {
        for (name, type) in types {
            if type == "counter" && !name.hasSuffix("_total") {
                throw ParseError(description: "counter \(name) does not end in _total")
            }
            guard type == "histogram" else { continue }
            let buckets = samples.filter { $0.name == name + "_bucket" }
            let series = Dictionary(grouping: buckets) { sample in
                sample.labels.filter { $0.key != "le" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            }
            for (key, list) in series {
                guard list.allSatisfy({ $0.labels["le"] != nil }) else { throw ParseError(description: "\(name){\(key)}: bucket without le") }
                let bounds = list.map { $0.labels["le"] == "+Inf" ? Double.infinity : Double($0.labels["le"]!) ?? .nan }
                guard bounds == bounds.sorted(), bounds.last == .infinity else {
                    throw ParseError(description: "\(name){\(key)}: buckets not ascending or no +Inf")
                }
                let counts = list.map(\.value)
                guard counts == counts.sorted() else { throw ParseError(description: "\(name){\(key)}: buckets not cumulative") }
                let seriesLabels = list[0].labels.filter { label in label.key != "le" }
                let count = samples.first { sample in sample.name == name + "_count" && sample.labels == seriesLabels }
                guard let count, count.value == counts.last else { throw ParseError(description: "\(name){\(key)}: _count ≠ +Inf bucket") }
                guard samples.contains(where: { $0.name == name + "_sum" }) else { throw ParseError(description: "\(name): no _sum") }
            }
        }
    }

    /// The value of the sample with this name and (a superset of) these labels.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value } }?.value
    }
}
