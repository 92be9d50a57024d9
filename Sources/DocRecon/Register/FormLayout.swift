import Foundation

/// A printed form as a template describes it (`form:` in Rules/templates/*.yaml): its blank
/// (a PDF page, the reference for registration and for taking its ink out of the data), its
/// size, the boxes measured on that blank (points, origin top-left, as `docrecon-dev
/// measure-form` prints them), and how its ink is told from the data.
public struct FormLayout: Sendable, Equatable {
    public struct Box: Sendable, Equatable {
        public var x0: Double, y0: Double, x1: Double, y1: Double
        public init(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) { self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1 }
        /// In form-frame pixels at `dpi`.
        public func pixels(dpi: Int) -> (Double, Double, Double, Double) {
            let s = Double(dpi) / 72
            return (x0 * s, y0 * s, x1 * s, y1 * s)
        }
    }

    /// How the form's ink differs from what is typed on it. The 1500 is printed in red
    /// "drop-out" ink: a pixel whose red exceeds its green and blue by `minRedness` and whose
    /// channels spread by `minChroma` is form, whatever its darkness.
    public struct DropOut: Sendable, Equatable {
        public var minRedness: Int = 20
        public var minChroma: Int = 35
        public init() {}
    }

    public var reference: String
    public var page: Int = 1
    public var width: Double = 612
    public var height: Double = 792
    public var boxes: [String: Box] = [:]
    /// The characters each box may hold, from the types of the template's fields that read it
    /// (a box no field reads has none: anything).
    public var charsets: [String: String] = [:]
    public var dropOut = DropOut()

    public init(reference: String) { self.reference = reference }
}
