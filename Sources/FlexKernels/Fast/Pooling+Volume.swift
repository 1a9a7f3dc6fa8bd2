extension Fast.Pooling {
    /// Whether `runVolume` computes `kind` over `geometry`: max or average pooling whose depth window is
    /// not 1x1 (a 2-D pooling is `supports`' case), with positive sizes, kernel and stride on every axis.
    public static func supportsVolume(_ kind: Reference.PoolingKind, _ geometry: Reference.PoolingGeometry) -> Bool {
        let g = geometry
        switch kind {
        case .max, .average: break
        case .sum, .lp: return false
        }
        return !supports(kind, g) && (0...2).allSatisfy { axis in
            g.inputSize[axis] > 0 && g.outputSize[axis] > 0 && g.kernel[axis] > 0 && g.stride[axis] > 0 && g.pad[axis] >= 0
        }
    }

    /// Floats of scratch `runVolume` needs: one output plane (`OH * OW`).
    public static func volumeScratchCount(_ geometry: Reference.PoolingGeometry) -> Int {
        geometry.outputSize[1] * geometry.outputSize[2]
    }

    /// 3-D max or average pooling of `geometry.planes` volumes of `input` (`[planes, D, H, W]`) into
    /// `output` (`[planes, OD, OH, OW]`), the same windows as `Reference.pooling`: each output slice is
    /// the 2-D pooling (`run`) of every input slice its depth window covers, combined by max, or summed and
    /// divided by the window's depth (padded for `count_include_pad`, else clipped to the input), since a
    /// 2-D average already divides by the window's area. `scratch` holds `volumeScratchCount` floats owned
    /// by the calling thread. Precondition: `supportsVolume(kind, geometry)`.
    public static func runVolume(
        _ kind: Reference.PoolingKind, _ geometry: Reference.PoolingGeometry, input: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, instructionSet: Fast.InstructionSet = .active
    ) {
        precondition(supportsVolume(kind, geometry), "no fast 3-D pooling for \(kind) over \(geometry)")
        let g = geometry
        let (depth, outputDepth) = (g.inputSize[0], g.outputSize[0])
        let inputSlice = g.inputSize[1] * g.inputSize[2], outputSlice = g.outputSize[1] * g.outputSize[2]
        let slice = Reference.PoolingGeometry(planes: 1, inputSize: [1, g.inputSize[1], g.inputSize[2]],
                                              outputSize: [1, g.outputSize[1], g.outputSize[2]], kernel: [1, g.kernel[1], g.kernel[2]],
                                              stride: [1, g.stride[1], g.stride[2]], pad: [0, g.pad[1], g.pad[2]])
        for plane in 0..<g.planes {
            let x = input + plane * depth * inputSlice
            for od in 0..<outputDepth {
                let y = output + (plane * outputDepth + od) * outputSlice
                let start = od * g.stride[0] - g.pad[0], end = Swift.min(start + g.kernel[0], depth + g.pad[0])
                let (first, last) = (Swift.max(start, 0), Swift.min(end, depth))
                guard first < last else {
                    // A window wholly in the padding: what the reference computes over no elements.
                    y.update(repeating: kind == .max ? -Float.greatestFiniteMagnitude : 0, count: outputSlice)
                    continue
                }
                run(kind, slice, input: x + first * inputSlice, output: y, instructionSet: instructionSet)
                for d in (first + 1)..<last {
                    run(kind, slice, input: x + d * inputSlice, output: scratch, instructionSet: instructionSet)
                    if kind == .max {
                        for i in 0..<outputSlice where scratch[i] > y[i] { y[i] = scratch[i] }
                    } else {
                        for i in 0..<outputSlice { y[i] += scratch[i] }
                    }
                }
                if case .average(let countIncludePad) = kind {
                    let divisor = Float(countIncludePad ? end - start : last - first)
                    for i in 0..<outputSlice { y[i] /= divisor }
                }
            }
        }
    }
}
