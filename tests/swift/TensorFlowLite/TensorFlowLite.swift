// A stand-in for TensorFlowLiteSwift's `TensorFlowLite` module (pod TensorFlowLiteSwift 2.17.0, or LiteRT's
// Swift package product), written for edgedigits' tests: the same public names and signatures as the real
// Interpreter, Interpreter.Options, Tensor, Tensor.DataType, Tensor.Shape, QuantizationParameters,
// InterpreterError and Delegate, so the generated DigitClassifier.swift is type-checked against that API off
// Apple platforms. Note Tensor.DataType: bool, uInt8, int16, int32, int64, float16, float32, float64 (no int8).
//
// It runs NO inference. It REPLAYS outputs LiteRT recorded in Python: the folder named by the environment
// variable EDGEDIGITS_TFLITE_REPLAY holds replay.txt (the model's byte count and its input/output tensor
// numbers, from manifest.json) and replay_inputs.bin / replay_outputs.bin (fixed-size records). invoke()
// looks the input bytes up among the recorded inputs, bit for bit; an unknown input throws. So the Swift
// around the model (resource lookup, byte layout, reading the output, softmax) is checked exactly.
import Foundation

public protocol Delegate: AnyObject {}

public enum InterpreterError: Error, Equatable, Hashable {
    case invalidTensorIndex(index: Int, maxIndex: Int)
    case invalidTensorDataCount(provided: Int, required: Int)
    case invalidTensorDataType
    case failedToLoadModel
    case failedToCreateInterpreter
    case failedToResizeInputTensor(index: Int)
    case failedToCopyDataToInputTensor
    case failedToAllocateTensors
    case allocateTensorsRequired
    case invokeInterpreterRequired
    case tensorFlowLiteError(String)
}

public struct QuantizationParameters: Equatable, Hashable {
    public let scale: Float
    public let zeroPoint: Int
}

public struct Tensor: Equatable, Hashable {
    public let name: String
    public let dataType: DataType
    public let shape: Shape
    public let data: Data
    public let quantizationParameters: QuantizationParameters?

    public enum DataType: Equatable, Hashable {
        case bool
        case uInt8
        case int16
        case int32
        case int64
        case float16
        case float32
        case float64
    }

    public struct Shape: Equatable, Hashable, ExpressibleByArrayLiteral {
        public let rank: Int
        public let dimensions: [Int]

        public init(_ dimensions: [Int]) {
            rank = dimensions.count
            self.dimensions = dimensions
        }

        public init(_ elements: Int...) {
            self.init(elements)
        }

        public init(arrayLiteral: Int...) {
            self.init(arrayLiteral)
        }
    }
}

public final class Interpreter {
    public struct Options: Equatable, Hashable {
        public var threadCount: Int? = nil
        public var isXNNPackEnabled: Bool = false

        public init() {}
    }

    public let options: Options?
    public let delegates: [Delegate]?
    public var inputTensorCount: Int { return 1 }
    public var outputTensorCount: Int { return 1 }

    private let replay: Replay
    private var allocated = false
    private var inputData: Data
    private var outputData: Data?

    public init(modelPath: String, options: Options? = nil, delegates: [Delegate]? = nil) throws {
        guard let model = FileManager.default.contents(atPath: modelPath) else { throw InterpreterError.failedToLoadModel }
        guard let replay = Replay.load(), model.count == replay.modelBytes else { throw InterpreterError.failedToCreateInterpreter }
        self.options = options
        self.delegates = delegates
        self.replay = replay
        inputData = Data(count: replay.input.bytes)
        // What the app asked for, for the test to read (stderr, one line).
        let threads = options?.threadCount.map(String.init) ?? "nil"
        FileHandle.standardError.write(Data("STUB Interpreter threads=\(threads) xnnpack=\(options?.isXNNPackEnabled ?? false)\n".utf8))
    }

    public func allocateTensors() throws {
        allocated = true
    }

    public func resizeInput(at index: Int, to shape: Tensor.Shape) throws {
        guard index == 0 else { throw InterpreterError.invalidTensorIndex(index: index, maxIndex: 0) }
        guard shape.dimensions == replay.input.shape else { throw InterpreterError.failedToResizeInputTensor(index: index) }
    }

    public func input(at index: Int) throws -> Tensor {
        guard index == 0 else { throw InterpreterError.invalidTensorIndex(index: index, maxIndex: 0) }
        guard allocated else { throw InterpreterError.allocateTensorsRequired }
        return replay.input.tensor(inputData)
    }

    public func output(at index: Int) throws -> Tensor {
        guard index == 0 else { throw InterpreterError.invalidTensorIndex(index: index, maxIndex: 0) }
        guard allocated else { throw InterpreterError.allocateTensorsRequired }
        return replay.output.tensor(outputData ?? Data(count: replay.output.bytes))
    }

    @discardableResult
    public func copy(_ data: Data, toInputAt index: Int) throws -> Tensor {
        guard index == 0 else { throw InterpreterError.invalidTensorIndex(index: index, maxIndex: 0) }
        guard allocated else { throw InterpreterError.allocateTensorsRequired }
        guard data.count == replay.input.bytes else {
            throw InterpreterError.invalidTensorDataCount(provided: data.count, required: replay.input.bytes)
        }
        inputData = Data(data)
        return try input(at: 0)
    }

    public func invoke() throws {
        guard allocated else { throw InterpreterError.allocateTensorsRequired }
        guard let found = replay.answer(inputData) else {
            throw InterpreterError.tensorFlowLiteError("replay stand-in: this input was never recorded by LiteRT in Python")
        }
        outputData = found
    }
}

/// The recorded model: tensor numbers and (input, output) records.
private struct Replay {
    struct Numbers {
        let name: String
        let dataType: Tensor.DataType
        let shape: [Int]
        let bytes: Int

        func tensor(_ data: Data) -> Tensor {
            return Tensor(name: name, dataType: dataType, shape: Tensor.Shape(shape), data: data,
                          quantizationParameters: nil)
        }
    }

    let modelBytes: Int
    let input: Numbers
    let output: Numbers
    let inputs: Data
    let outputs: Data

    static func load() -> Replay? {
        guard let folder = ProcessInfo.processInfo.environment["EDGEDIGITS_TFLITE_REPLAY"],
              let text = try? String(contentsOfFile: folder + "/replay.txt", encoding: .utf8),
              let inputs = FileManager.default.contents(atPath: folder + "/replay_inputs.bin"),
              let outputs = FileManager.default.contents(atPath: folder + "/replay_outputs.bin") else { return nil }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        func numbers(_ role: String) -> Numbers? {
            let types: [String: Tensor.DataType] = ["float32": .float32, "uint8": .uInt8, "int16": .int16,
                                                    "int32": .int32, "int64": .int64, "float16": .float16]
            guard let name = values[role + "_name"], let dtype = values[role + "_dtype"].flatMap({ types[$0] }),
                  let shape = values[role + "_shape"], let bytes = values[role + "_bytes"].flatMap({ Int($0) }) else {
                return nil
            }
            return Numbers(name: name, dataType: dtype, shape: shape.split(separator: ",").compactMap { Int($0) },
                           bytes: bytes)
        }
        guard let modelBytes = values["model_bytes"].flatMap({ Int($0) }), let input = numbers("input"),
              let output = numbers("output") else { return nil }
        return Replay(modelBytes: modelBytes, input: input, output: output, inputs: inputs, outputs: outputs)
    }

    func answer(_ fed: Data) -> Data? {
        let records = inputs.count / input.bytes
        for i in 0..<records {
            let start = inputs.startIndex + i * input.bytes
            if inputs[start..<(start + input.bytes)].elementsEqual(fed) {
                let from = outputs.startIndex + i * output.bytes
                return outputs.subdata(in: from..<(from + output.bytes))
            }
        }
        return nil
    }
}
