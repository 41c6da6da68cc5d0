"""The catalogue of plausible wrong answers (instructor-only: the student version leaves it out).

Each entry is a mistake a student could make in one task, written as text edits of the reference
code inside that task's solution regions, and the phrase the grader's message must contain to tell
the student what is wrong.  tests/test_wrong_answers.py applies each edit to a copy of the
reference, grades it like a student's copy, and checks that the task scores zero with that message
while every other task keeps its points.  Add a mistake you saw in a real submission here first,
then make the grading tests catch it.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class WrongAnswer:
    task: str
    what: str                # the mistake, in a few words
    path: str                # the file whose regions of `task` are edited
    edits: tuple             # ((find, replace), ...): each `find` occurs once in the task's regions of `path`
    expect: str              # a phrase the grader's message must contain

    @property
    def id(self):
        return f"{self.task}: {self.what}"


W = WrongAnswer
AUTOGRAD, ELEMENTWISE, REDUCTIONS = "stylegan_np/autograd.py", "stylegan_np/ops/elementwise.py", "stylegan_np/ops/reductions.py"
CONV, LAYERS, OPTIM = "stylegan_np/ops/conv.py", "stylegan_np/nn/layers.py", "stylegan_np/optim.py"
LOSSES, EMA, TASKS = "stylegan_np/losses.py", "stylegan_np/models/ema.py", "stylegan_np/training/tasks.py"

RECURSIVE_ORDER = '''    visited, post_order = set(), []

    def visit(tensor):
        if id(tensor) in visited:
            return
        visited.add(id(tensor))
        if tensor.creator is not None:
            for x in tensor.creator.inputs:
                if x.requires_grad:
                    visit(x)
        post_order.append(tensor)

    for root in roots:
        visit(root)
    return post_order[::-1]'''

REFERENCE_ORDER_BODY = '''    visited, post_order = set(), []
    stack = [(root, False) for root in roots]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            post_order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.creator is not None:
            stack.extend((x, False) for x in tensor.creator.inputs
                         if x.requires_grad and id(x) not in visited)
    return post_order[::-1]'''

WRONG_ANSWERS = [
    # --- chapter 1 ---
    W("ch01_topological_order", "a recursive depth-first search", AUTOGRAD,
      ((REFERENCE_ORDER_BODY, RECURSIVE_ORDER),), "recursion limit"),
    W("ch01_topological_order", "post-order not reversed", AUTOGRAD,
      (("    return post_order[::-1]", "    return post_order"),), "the root must come first"),
    W("ch01_topological_order", "no visited set", AUTOGRAD,
      (("        if id(tensor) in visited:\n            continue\n", ""),), "listed twice"),
    W("ch01_topological_order", "pre-order: a tensor listed when first reached", AUTOGRAD,
      (("        stack.append((tensor, True))", "        post_order.append(tensor)"),
       ("    return post_order[::-1]", "    return post_order")), "an input is listed before a tensor computed from it"),
    W("ch01_mul_backward", "the two gradients swapped", ELEMENTWISE,
      (("sum_to(gy * b, a.shape)", "sum_to(gy * a, a.shape)"), ("sum_to(gy * a, b.shape)", "sum_to(gy * b, b.shape)")),
      "d(a*b)/da is b"),
    W("ch01_mul_backward", "broadcast axes not summed back", ELEMENTWISE,
      (("sum_to(gy * b, a.shape)", "gy * b"), ("sum_to(gy * a, b.shape)", "gy * a")), "sum the broadcast axes back"),
    W("ch01_mul_backward", "the upstream gradient forgotten", ELEMENTWISE,
      (("sum_to(gy * b, a.shape)", "sum_to(b, a.shape)"), ("sum_to(gy * a, b.shape)", "sum_to(a, b.shape)")),
      "times the upstream gradient gy"),
    W("ch01_exp_log_backward", "d log x/dx taken as x", ELEMENTWISE,
      (("        return gy / x", "        return gy * x"),), "is it gy * x?"),
    W("ch01_exp_log_backward", "exp's gradient on raw arrays", ELEMENTWISE,
      (("        return gy * self.output  # d/dx e^x = e^x", "        return Tensor(gy.data * self.output.data)"),),
      "must use Tensor operations"),
    W("ch01_sum_backward", "gy broadcast without restoring the summed axes", REDUCTIONS,
      (("broadcast_to(reshape(gy, _keepdims_shape(x.shape, axes)), x.shape)", "broadcast_to(gy, x.shape)"),),
      "restore the summed axes"),
    W("ch01_backward_pass", "gradients overwritten instead of added", AUTOGRAD,
      (("                grads[id(x)] = grads[id(x)] + gx if id(x) in grads else gx", "                grads[id(x)] = gx"),),
      "add up the gradients of all its uses"),
    W("ch01_backward_pass", "create_graph ignored", AUTOGRAD,
      (("    with set_grad_enabled(create_graph):", "    with set_grad_enabled(False):"),), "record its own graph"),
    W("ch01_backward_pass", "a graph recorded even without create_graph", AUTOGRAD,
      (("    with set_grad_enabled(create_graph):", "    with set_grad_enabled(True):"),), "must not record a graph"),
    W("ch01_backward_pass", "the graph never released", AUTOGRAD,
      (("            if release:\n                f.release()\n", ""),), "released its inputs"),
    W("ch01_backward_pass", "Functions that lead to no input still run backward", AUTOGRAD,
      (("            if not any(wanted):\n                continue\n", ""),), "walked into a part of the graph"),
    W("ch01_backward_pass", "every tensor returned, not only the leaves", AUTOGRAD,
      (("            if (tensor.creator is None) if targets is None else (id(tensor) in target_ids):",
        "            if targets is None or id(tensor) in target_ids:"),), "the leaves only"),
    # --- chapter 2 ---
    W("ch02_im2col", "the stride ignored", CONV,
      (("x[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]", "x[:, :, i:i + ho, j:j + wo]"),), "stride 2"),
    W("ch02_im2col", "the kernel's row and column offsets swapped", CONV,
      (("x[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]", "x[:, :, j:j + stride * ho:stride, i:i + stride * wo:stride]"),),
      "must be x_padded[n, c, a*stride + i, b*stride + j]"),
    W("ch02_col2im", "columns assigned instead of added", CONV,
      (("stride * wo:stride] += col[:, i, j]", "stride * wo:stride] = col[:, i, j]"),), "add up"),
    W("ch02_col2im", "the padding not cropped", CONV,
      (("    return x[:, :, padding:padding + h, padding:padding + w]", "    return x"),), "cropped back to x_shape"),
    W("ch02_conv2d", "the output left as (O, N, Ho, Wo) reshaped to (N, O, Ho, Wo)", CONV,
      (("xp.ascontiguousarray(y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))", "y.reshape(n, o, ho, wo)"),),
      "y[n, o, a, b] = sum over c, i, j"),
    W("ch02_conv2d", "every output channel sees every input channel (groups ignored)", CONV,
      (("        y = xp.matmul(w.reshape(g, o // g, cg * kh * kw), col)",
        "        y = xp.matmul(w.reshape(g, o // g, cg * kh * kw), col[:1])"),), "groups="),
    # --- chapter 3 ---
    W("ch03_equalized_linear", "the scale applied to a detached weight", LAYERS,
      (("        y = x @ (self.weight * self.w_scale).T", "        y = x @ (self.weight.detach() * self.w_scale).T"),),
      "inside the graph"),
    W("ch03_equalized_linear", "the bias without its lr_mul", LAYERS,
      (("            y = y + self.bias * self.lr_mul", "            y = y + self.bias"),), "lr_mul"),
    W("ch03_equalized_linear", "the activation forgotten", LAYERS,
      (("        return activate(y, self.activation)", "        return y"),), "activation"),
    W("ch03_adam", "bias correction with the optimizer's step count", OPTIM,
      (("        t = self.counts[i]", "        t = self.steps"),), "this parameter's own"),
    W("ch03_adam", "eps inside the square root", OPTIM,
      (("        denom = xp.sqrt(v / (1 - self.beta2 ** t))\n        denom += self.eps",
        "        denom = xp.sqrt(v / (1 - self.beta2 ** t) + self.eps)"),), "eps"),
    W("ch03_adam", "no bias correction", OPTIM,
      (("        step_size = self.lr / (1 - self.beta1 ** t)", "        step_size = self.lr"),
       ("        denom = xp.sqrt(v / (1 - self.beta2 ** t))", "        denom = xp.sqrt(v)")), "bias correction"),
    W("ch03_conv_backward", "the weight's gradient computed even when not needed", CONV,
      (("gw = Conv2dGradWeight(w.shape, **self.settings())(x, gy) if self.needs_input_grad[1] else None",
        "gw = Conv2dGradWeight(w.shape, **self.settings())(x, gy)"),), "needs no gradient"),
    W("ch03_conv_backward", "the stride and padding not handed to the input gradient", CONV,
      (("gx = Conv2dGradInput(x.shape, **self.settings())(gy, w)", "gx = Conv2dGradInput(x.shape, groups=self.groups)(gy, w)"),),
      "dL/dx"),
    W("ch03_conv_backward", "col2im without the stride", CONV,
      (("        return col2im(gcol, self.x_shape, self.stride, self.padding)", "        return col2im(gcol, self.x_shape, 1, self.padding)"),),
      "spreads gy * W back"),
    W("ch03_conv_backward", "every group's weight gradient from the first group's channels", CONV,
      (("col = im2col(x, kh, kw, self.stride, self.padding).reshape(g, cg * kh * kw, n * ho * wo)",
        "col = im2col(x[:, :cg], kh, kw, self.stride, self.padding).reshape(1, cg * kh * kw, n * ho * wo)"),), "dL/dW"),
    # --- chapter 4 ---
    W("ch04_gan_losses", "real and fake swapped in D's loss", LOSSES,
      (("mean(softplus(d_fake)) + mean(softplus(-d_real))", "mean(softplus(d_real)) + mean(softplus(-d_fake))"),),
      "are real and fake swapped"),
    W("ch04_gan_losses", "the saturating (minimax) G loss", LOSSES,
      (("    return mean(softplus(-d_fake))", "    return -mean(softplus(d_fake))"),), "non-saturating"),
    W("ch04_gan_losses", "log(1 + exp(x)) written out", LOSSES,
      (("    return mean(softplus(d_fake)) + mean(softplus(-d_real))",
        "    from .ops import exp, log\n    return mean(log(1 + exp(d_fake))) + mean(log(1 + exp(-d_real)))"),),
      "stay finite"),
    W("ch04_gan_losses", "a sum over the batch instead of a mean", LOSSES,
      (("mean(softplus(d_fake)) + mean(softplus(-d_real))", "sum(softplus(d_fake)) + sum(softplus(-d_real))"),),
      "a sum instead of a mean"),
    W("ch04_ema", "beta and 1 - beta swapped", EMA,
      (("        p_ema.data *= beta\n        p_ema.data += (1.0 - beta) * p.data",
        "        p_ema.data *= 1.0 - beta\n        p_ema.data += beta * p.data"),), "are beta and 1 - beta swapped"),
    W("ch04_ema", "buffers shared instead of copied", EMA,
      (("        b_ema.data = b.data.copy()", "        b_ema.data = b.data"),), "copy each buffer"),
    W("ch04_ema", "the half-life exponent inverted", EMA,
      (("0.5 ** (batch_size / (half_life_kimg * 1000.0))", "0.5 ** (half_life_kimg * 1000.0 / batch_size)"),), "halved"),
    W("ch04_train_step", "D not frozen during the G step", TASKS,
      (("        self.D.requires_grad_(False)\n", ""),), "freeze D"),
    W("ch04_train_step", "D left frozen after the step", TASKS,
      (("            self.D.requires_grad_(True)", "            pass"),), "trainable again"),
    W("ch04_train_step", "the D step's fakes made with G's graph", TASKS,
      (("        with no_grad():\n            fakes = self.run_G", "        if True:\n            fakes = self.run_G"),),
      "without a graph"),
    W("ch04_train_step", "G trained on the D step's fakes", TASKS,
      (("            fakes = self.run_G(self.G, self.latents(n, dev_rng), res, alpha, dev_rng, True, host_rng)\n", ""),),
      "fresh latents"),
    W("ch04_train_step", "D's gradients never cleared", TASKS,
      (("        self.opt_d.zero_grad()\n", ""),), "opt_d.zero_grad()"),
    W("ch04_train_step", "G's loss taken against the old D", TASKS,
      (("        self.opt_d.step()\n", ""),
       ("            self.D.requires_grad_(True)", "            self.D.requires_grad_(True)\n        self.opt_d.step()")),
      "with the old D"),
    W("ch04_train_step", "the EMA updated before the G step", TASKS,
      (("        if self.G_ema is not None:\n            update_ema(self.G_ema, self.G, self.ema_beta)\n", ""),
       ("        self.D.requires_grad_(False)\n", "        if self.G_ema is not None:\n            update_ema(self.G_ema, self.G, self.ema_beta)\n        self.D.requires_grad_(False)\n")),
      "after G's step"),
]
