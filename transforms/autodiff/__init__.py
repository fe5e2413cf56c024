"""Automatic differentiation: forward mode (jvp, linearize, jacfwd) and reverse mode
(vjp, grad, value_and_grad, jacrev), hessian, and custom_vjp.

Derivatives are rule tables keyed by primitive (`rules/`), applied by interpreters of a
traced Graph (`interpreters.py`); rules are written with the public ops, so derivatives
of derivatives work to any order and compose with jit and vmap."""
from .api import grad, jvp, linearize, value_and_grad, vjp
from .custom import custom_vjp
from .interpreters import jvp_graph, vjp_graph
from .jacobians import hessian, jacfwd, jacrev
from .rules import JVP_RULES, VJP_RULES, ZERO, register_rules

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "linearize", "jacfwd", "jacrev", "hessian",
           "custom_vjp", "jvp_graph", "vjp_graph", "JVP_RULES", "VJP_RULES", "ZERO",
           "register_rules"]
