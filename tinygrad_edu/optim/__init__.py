"""Optimizers and learning-rate schedules (PyTorch's `torch.optim`).

    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()          # one fused kernel per parameter
        scheduler.step()
"""

from tinygrad_edu.optim import lr_scheduler, swa_utils
from tinygrad_edu.optim.adadelta import Adadelta
from tinygrad_edu.optim.adagrad import Adagrad
from tinygrad_edu.optim.adam import Adam, AdamW
from tinygrad_edu.optim.adamax import Adamax
from tinygrad_edu.optim.asgd import ASGD
from tinygrad_edu.optim.lbfgs import LBFGS
from tinygrad_edu.optim.nadam import NAdam
from tinygrad_edu.optim.optimizer import Optimizer
from tinygrad_edu.optim.radam import RAdam
from tinygrad_edu.optim.rmsprop import RMSprop
from tinygrad_edu.optim.rprop import Rprop
from tinygrad_edu.optim.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam",
           "Optimizer", "RAdam", "RMSprop", "lr_scheduler",
           "ASGD", "Rprop", "swa_utils"]
