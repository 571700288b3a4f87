//! The one error type of the crate.

use std::fmt;

/// Why an operation could not run. Every variant names the numbers involved so the app can
/// show the user what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelError {
    /// A grid was given rows of different lengths.
    RaggedRows {
        row: usize,
        expected: usize,
        found: usize,
    },
    /// `rows × cols` does not match the number of values.
    DataLength {
        rows: usize,
        cols: usize,
        len: usize,
    },
    /// An input, a kernel or a channel list had no elements.
    Empty { what: &'static str },
    /// Stride, dilation or a pooling window of zero.
    Zero { what: &'static str },
    /// The (dilated) kernel does not fit in the (padded) input along one axis.
    KernelTooLarge {
        axis: &'static str,
        input: usize,
        padding: usize,
        extent: usize,
    },
    /// A transposed convolution whose padding removes the whole output along one axis.
    NoOutput { axis: &'static str },
    /// Output padding must be smaller than the stride or the dilation (as in PyTorch).
    OutputPadding {
        axis: &'static str,
        output_padding: usize,
        stride: usize,
        dilation: usize,
    },
    /// Two things that must have the same shape do not.
    ShapeMismatch {
        what: &'static str,
        expected: (usize, usize),
        found: (usize, usize),
    },
    /// The number of channels (or filters, or biases) is not what the other arguments imply.
    ChannelMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// A count (of weights, multiply-adds, ...) too large to be represented.
    Overflow { what: &'static str },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RaggedRows {
                row,
                expected,
                found,
            } => {
                write!(
                    f,
                    "row {row} has {found} values, but the first row has {expected}"
                )
            }
            Self::DataLength { rows, cols, len } => {
                write!(
                    f,
                    "a {rows}×{cols} grid needs {} values, got {len}",
                    rows * cols
                )
            }
            Self::Empty { what } => write!(f, "the {what} is empty"),
            Self::Zero { what } => write!(f, "the {what} must be at least 1"),
            Self::KernelTooLarge {
                axis,
                input,
                padding,
                extent,
            } => write!(
                f,
                "along the {axis} the kernel covers {extent} cells, but the input is only {input} \
                 + 2×{padding} padding = {} cells",
                input + 2 * padding
            ),
            Self::NoOutput { axis } => {
                write!(
                    f,
                    "along the {axis} the padding crops away the whole output"
                )
            }
            Self::OutputPadding {
                axis,
                output_padding,
                stride,
                dilation,
            } => write!(
                f,
                "along the {axis} the output padding ({output_padding}) must be smaller than the \
                 stride ({stride}) or the dilation ({dilation})"
            ),
            Self::ShapeMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "{what}: expected {}×{}, found {}×{}",
                expected.0, expected.1, found.0, found.1
            ),
            Self::ChannelMismatch {
                what,
                expected,
                found,
            } => {
                write!(f, "{what}: expected {expected}, found {found}")
            }
            Self::Overflow { what } => write!(f, "the {what} is too large to count"),
        }
    }
}

impl std::error::Error for KernelError {}
