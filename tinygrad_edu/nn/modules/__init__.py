"""The layer classes, one family per file (module.py holds the Module base class)."""

from tinygrad_edu.nn.modules.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    MultiheadAttention,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from tinygrad_edu.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from tinygrad_edu.nn.modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from tinygrad_edu.nn.modules.distance import CosineSimilarity, PairwiseDistance
from tinygrad_edu.nn.modules.dropout import Dropout, Dropout1d, Dropout2d
from tinygrad_edu.nn.modules.flatten import Flatten, Unflatten
from tinygrad_edu.nn.modules.fold import Fold, Unfold
from tinygrad_edu.nn.modules.lazy import Bilinear, ChannelShuffle, LazyLinear
from tinygrad_edu.nn.modules.linear import Identity, Linear, NonDynamicallyQuantizableLinear
from tinygrad_edu.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.modules.more_layers import (
    AlphaDropout,
    CircularPad1d,
    CircularPad2d,
    ConstantPad3d,
    Dropout3d,
    FeatureAlphaDropout,
    LazyConv1d,
    LazyConv2d,
    LPPool1d,
    LPPool2d,
    MaxUnpool1d,
    MaxUnpool2d,
    TripletMarginWithDistanceLoss,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
    ZeroPad1d,
    ZeroPad3d,
)
from tinygrad_edu.nn.modules.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)
from tinygrad_edu.nn.modules.padding import (
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad2d,
)
from tinygrad_edu.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle
from tinygrad_edu.nn.modules.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from tinygrad_edu.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from tinygrad_edu.nn.modules.sparse import Embedding, EmbeddingBag
from tinygrad_edu.nn.modules.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from tinygrad_edu.nn.modules.upsampling import Upsample
from tinygrad_edu.nn.modules.volumetric import (
    AdaptiveAvgPool3d,
    AvgPool3d,
    BatchNorm3d,
    Conv3d,
    InstanceNorm3d,
    MaxPool3d,
)

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BCELoss",
    "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "ConstantPad1d", "ConstantPad2d", "Conv1d",
    "Conv2d", "CosineSimilarity", "CrossEntropyLoss", "Dropout", "Dropout1d", "Dropout2d", "ELU",
    "Embedding", "EmbeddingBag", "Flatten", "GELU", "GRU", "GRUCell", "GroupNorm", "Hardsigmoid",
    "Hardswish",
    "Hardtanh", "HuberLoss", "Identity", "KLDivLoss", "L1Loss", "LSTM", "LSTMCell", "LayerNorm",
    "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax", "MSELoss", "MaxPool1d", "MaxPool2d", "Mish",
    "Module", "ModuleDict", "ModuleList", "MultiheadAttention", "NLLLoss",
    "NonDynamicallyQuantizableLinear", "PReLU", "PairwiseDistance", "ParameterDict",
    "ParameterList", "RNN", "RNNBase", "RNNCell", "ReLU", "ReLU6", "ReflectionPad1d",
    "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "SELU", "Sequential", "SiLU",
    "Sigmoid", "SmoothL1Loss", "Softmax", "Softmin", "Softplus", "Tanh", "Unflatten", "Upsample",
    "ZeroPad2d",
    "CELU", "GLU", "Hardshrink", "RReLU", "Softmax2d", "Softshrink", "Softsign", "Tanhshrink",
    "Threshold",
    "CosineEmbeddingLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "MarginRankingLoss",
    "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "PoissonNLLLoss",
    "SoftMarginLoss", "TripletMarginLoss",
    "InstanceNorm1d", "InstanceNorm2d", "LocalResponseNorm", "RMSNorm",
    "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
    "TransformerEncoderLayer",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "ConvTranspose1d", "ConvTranspose2d", "Fold",
    "PixelShuffle", "PixelUnshuffle", "Unfold",
    "Bilinear", "ChannelShuffle", "LazyLinear",
    "AdaptiveAvgPool3d", "AvgPool3d", "BatchNorm3d", "Conv3d", "InstanceNorm3d", "MaxPool3d",
    "AlphaDropout", "CircularPad1d", "CircularPad2d", "ConstantPad3d", "Dropout3d",
    "FeatureAlphaDropout", "LazyConv1d", "LazyConv2d", "LPPool1d", "LPPool2d", "MaxUnpool1d",
    "MaxUnpool2d", "TripletMarginWithDistanceLoss", "UpsamplingBilinear2d",
    "UpsamplingNearest2d", "ZeroPad1d", "ZeroPad3d",
]
