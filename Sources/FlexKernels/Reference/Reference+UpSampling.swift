extension Reference {
    /// Nearest-neighbour upsampling of one NCHW input into a channel slice of `output`:
    /// `output[n, channelOffset + c, y, x] (+)= input[n, c, y / scale, x / scale]`.
    ///
    /// `input` is `(batch, channels, height, width)`; `output` is `(batch, outputChannels,
    /// height * scale, width * scale)`. With `accumulate` the values are added (MXNet's
    /// `multi_input_mode=sum`), otherwise written. `output` must not alias `input`.
    public static func upsampleNearest(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                       batch: Int, channels: Int, height: Int, width: Int, scale: Int,
                                       outputChannels: Int, channelOffset: Int, accumulate: Bool) {
        let outHeight = height * scale, outWidth = width * scale
        for n in 0..<batch {
            for c in 0..<channels {
                let x = input + (n * channels + c) * height * width
                let y = output + (n * outputChannels + channelOffset + c) * outHeight * outWidth
                for oy in 0..<outHeight {
                    let sourceRow = x + (oy / scale) * width
                    let row = y + oy * outWidth
                    if accumulate {
                        for ox in 0..<outWidth { row[ox] += sourceRow[ox / scale] }
                    } else {
                        for ox in 0..<outWidth { row[ox] = sourceRow[ox / scale] }
                    }
                }
            }
        }
    }
}
