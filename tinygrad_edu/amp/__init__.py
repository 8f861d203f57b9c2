"""torch.amp: automatic mixed precision. `autocast` picks a precision per op (float16 for
products and convolutions, float32 for losses and reductions); `GradScaler` scales the loss
so that float16 gradients do not underflow. See autocast_mode.py and grad_scaler.py."""

from tinygrad_edu.amp.autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled
from tinygrad_edu.amp.grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "get_autocast_dtype", "is_autocast_enabled"]
