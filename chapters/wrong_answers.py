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
                             # (or is WHOLE_REGION)
    expect: str              # a phrase the grader's message must contain

    @property
    def id(self):
        return f"{self.task}: {self.what}"


W = WrongAnswer
WHOLE_REGION = "<the whole region>"   # as `find`: replace the body of the task's only region in the file
AUTOGRAD, ELEMENTWISE, REDUCTIONS = "stylegan_np/autograd.py", "stylegan_np/ops/elementwise.py", "stylegan_np/ops/reductions.py"
CONV, LAYERS, OPTIM = "stylegan_np/ops/conv.py", "stylegan_np/nn/layers.py", "stylegan_np/optim.py"
LOSSES, EMA, TASKS = "stylegan_np/losses.py", "stylegan_np/models/ema.py", "stylegan_np/training/tasks.py"
RESAMPLE, DCGAN = "stylegan_np/ops/resample.py", "stylegan_np/models/dcgan.py"
NORM, PROGAN, DISC = "stylegan_np/ops/norm.py", "stylegan_np/models/progan.py", "stylegan_np/models/discriminator.py"
SCHEDULE, REALS = "stylegan_np/training/schedule.py", "stylegan_np/data/resample.py"
STYLEGAN, GENERATE = "stylegan_np/models/stylegan.py", "stylegan_np/generate.py"

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

WRONG_ANSWERS = [
    # --- chapter 1 ---
    W("ch01_topological_order", "a recursive depth-first search", AUTOGRAD,
      ((WHOLE_REGION, RECURSIVE_ORDER),), "recursion limit"),
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
      (("            if True not in wanted:\n                continue\n", ""),), "walked into a part of the graph"),
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
    # --- chapter 5 ---
    W("ch05_conv_transpose", "output_padding left out of the size", CONV,
      (("(h - 1) * stride - 2 * padding + kh + output_padding", "(h - 1) * stride - 2 * padding + kh"),
       ("(w - 1) * stride - 2 * padding + kw + output_padding", "(w - 1) * stride - 2 * padding + kw")),
      "H_out = (H - 1) stride - 2 padding + k + output_padding"),
    W("ch05_conv_transpose", "the bias added along the wrong axis", CONV,
      (("    return y if bias is None else y + bias.reshape((1, -1, 1, 1))", "    return y if bias is None else y + bias"),),
      "once per output channel"),
    W("ch05_upsample_nearest", "the image tiled instead of each pixel repeated", RESAMPLE,
      (("    y = reshape(x, (n, c, h, 1, w, 1))\n    y = broadcast_to(y, (n, c, h, factor, w, factor))",
        "    y = reshape(x, (n, c, 1, h, 1, w))\n    y = broadcast_to(y, (n, c, factor, h, factor, w))"),),
      "not the whole image tiled"),
    W("ch05_r1", "dD/dx taken without create_graph", LOSSES,
      (("    g, = grad(sum(d_real), [reals], create_graph=True)", "    g, = grad(sum(d_real), [reals])"),),
      "create_graph=True"),
    W("ch05_r1", "gamma not halved", LOSSES,
      (("* (gamma * 0.5)", "* gamma"),), "is the 1/2 missing"),
    W("ch05_r1", "squared norms summed over the batch", LOSSES,
      (("    return mean(sum(g * g, axis=tuple(range(1, g.ndim)))) * (gamma * 0.5)", "    return sum(g * g) * (gamma * 0.5)"),),
      "or the batch summed"),
    W("ch05_r1", "lazy R1 not scaled by the interval", TASKS,
      (("        return loss + r1 * cfg.r1_interval, {", "        return loss + r1, {"),), "scaled by r1_interval"),
    W("ch05_r1", "the reals handed to D without requires_grad", TASKS,
      (("        reals = Tensor(reals.data, requires_grad=True)\n", ""),), "requires grad"),
    W("ch05_dcgan", "no pixel norm after the projection", DCGAN,
      (("        x = pixel_norm(reshape(self.project(z), (z.shape[0], self.c4, 4, 4)))",
        "        x = reshape(self.project(z), (z.shape[0], self.c4, 4, 4))"),), "pixel norm after the 4x4 projection"),
    W("ch05_dcgan", "no tanh at the end of G", DCGAN,
      (("        return tanh(self.to_rgb(x))", "        return self.to_rgb(x)"),), "end with tanh"),
    W("ch05_dcgan", "no pixel norm after the transposed convolutions", DCGAN,
      (("            x = pixel_norm(up(x))", "            x = up(x)"),), "after every transposed convolution"),
    W("ch05_dcgan", "D's widths taken from low to high resolution", DCGAN,
      (("ch = [channels_at(r, fmap_base, fmap_max) for r in reversed(resolutions(resolution))]",
        "ch = [channels_at(r, fmap_base, fmap_max) for r in resolutions(resolution)]"),
       ("        self.out = nn.Linear(ch[-1] * 16, 1)", "        self.out = nn.Linear(ch[0] * 16, 1)")),
      "must have shape"),
    # --- chapter 6 ---
    W("ch06_fade_in", "G's fade-in alpha reversed", PROGAN,
      (("lerp(upsample_nearest(self.to_rgb[i - 1](previous)), image, alpha)",
        "lerp(image, upsample_nearest(self.to_rgb[i - 1](previous)), alpha)"),), "is alpha reversed"),
    W("ch06_fade_in", "D's fade-in alpha reversed", DISC,
      (("                x = lerp(old, x, alpha)", "                x = lerp(x, old, alpha)"),), "is alpha reversed"),
    W("ch06_fade_in", "lerp as a + (b - a) t", NORM,
      (("    return a * (1 - t) + b * t", "    return a + (b - a) * t"),), "bit for bit"),
    W("ch06_fade_in", "no pixel norm after the 4x4 convolution", PROGAN,
      (("        x = pixel_norm(self.conv4(x))", "        x = self.conv4(x)"),), "table 2"),
    W("ch06_minibatch_stddev", "groups of consecutive samples", LAYERS,
      (("        y = reshape(x, (g, n // g, f, c // f, h, w))\n"
        "        y = y - mean(y, axis=0, keepdims=True)                       # deviation from the group mean\n"
        "        y = sqrt(mean(y * y, axis=0) + self.eps)",
        "        y = reshape(x, (n // g, g, f, c // f, h, w))\n"
        "        y = y - mean(y, axis=1, keepdims=True)\n"
        "        y = sqrt(mean(y * y, axis=1) + self.eps)"),), "belongs to group i %"),
    W("ch06_minibatch_stddev", "eps added outside the square root", LAYERS,
      (("sqrt(mean(y * y, axis=0) + self.eps)", "sqrt(mean(y * y, axis=0)) + self.eps"),), "eps inside the square root"),
    W("ch06_gradient_penalty", "the penalty evaluated at the reals", LOSSES,
      (("    x_hat = Tensor(lerp(fakes.detach(), reals.detach(), u).data, requires_grad=True)",
        "    x_hat = Tensor(reals.data, requires_grad=True)"),), "not at the reals"),
    W("ch06_gradient_penalty", "one interpolation weight for the whole batch", LOSSES,
      (("    u = rand(reals.shape[0], 1, 1, 1, dtype=reals.dtype, rng=rng)", "    u = rand(1, 1, 1, 1, dtype=reals.dtype, rng=rng)"),),
      "not one u for the whole batch"),
    W("ch06_gradient_penalty", "the gradient taken without create_graph", LOSSES,
      (("    g, = grad(sum(D(x_hat, alpha=alpha)), [x_hat], create_graph=True)", "    g, = grad(sum(D(x_hat, alpha=alpha)), [x_hat])"),),
      "create_graph=True"),
    W("ch06_gradient_penalty", "the squared norm in place of the norm", LOSSES,
      (("    norm = sqrt(sum(g * g, axis=(1, 2, 3)) + 1e-12)", "    norm = sum(g * g, axis=(1, 2, 3))"),),
      "the norm, not its square"),
    W("ch06_gradient_penalty", "the drift term on the fakes", LOSSES,
      (("mean(d_real * d_real) * drift", "mean(d_fake * d_fake) * drift"),), "drift on the reals"),
    W("ch06_schedule", "the first resolution fades in too", SCHEDULE,
      (("    if t < 1.0:\n        return start_res, 1.0                     # the first resolution only stabilises\n", ""),
       ("    level = 1 + int((t - 1.0) // 2.0)", "    level = 1 + int(t // 2.0)"),
       ("    alpha = min(1.0, (t - 1.0) - 2.0 * (level - 1))", "    alpha = min(1.0, t - 2.0 * (level - 1))")),
      "the first resolution only stabilises"),
    W("ch06_schedule", "alpha not held at 1 while stabilising", SCHEDULE,
      (("    alpha = min(1.0, (t - 1.0) - 2.0 * (level - 1))", "    alpha = (t - 1.0) - 2.0 * (level - 1)"),),
      "stays 1 otherwise"),
    W("ch06_schedule", "the reals faded the wrong way", REALS,
      (("    return ((1.0 - alpha) * low + alpha * images).astype(dtype, copy=False)",
        "    return (alpha * low + (1.0 - alpha) * images).astype(dtype, copy=False)"),), "is alpha reversed"),
    # --- chapter 7 ---
    W("ch07_mapping", "z not pixel-normalised", STYLEGAN,
      (("        return self.net(pixel_norm(z))", "        return self.net(z)"),), "pixel-normalise z"),
    W("ch07_noise_injection", "one noise map per channel", LAYERS,
      (("            noise = randn(n, 1, h, w, dtype=x.dtype, rng=rng)", "            noise = randn(n, x.shape[1], h, w, dtype=x.dtype, rng=rng)"),),
      "shared by every channel"),
    W("ch07_adain", "scale and shift swapped", LAYERS,
      (("        scale = reshape(style[:, :c], (-1, c, 1, 1))\n        shift = reshape(style[:, c:], (-1, c, 1, 1))",
        "        scale = reshape(style[:, c:], (-1, c, 1, 1))\n        shift = reshape(style[:, :c], (-1, c, 1, 1))"),),
      "the first C numbers scale"),
    W("ch07_adain", "NVlabs's +1 added to a scale whose bias already starts at 1", LAYERS,
      (("        return adaptive_instance_norm(x, scale, shift)", "        return adaptive_instance_norm(x, scale + 1, shift)"),),
      "is a +1 added to the scale"),
    W("ch07_adain", "instance norm over the channels too", NORM,
      (("    centred = x - mean(x, axis=(2, 3), keepdims=True)\n"
        "    return centred * rsqrt(mean(centred * centred, axis=(2, 3), keepdims=True) + eps)",
        "    centred = x - mean(x, axis=(1, 2, 3), keepdims=True)\n"
        "    return centred * rsqrt(mean(centred * centred, axis=(1, 2, 3), keepdims=True) + eps)"),),
      "over H and W of each sample and channel"),
    W("ch07_styled_layer", "the bias added after the activation", STYLEGAN,
      (('        x = bias_act(x, self.bias, slope=0.2, gain=nn.LRELU_GAIN)',
        '        x = nn.activate(x, "lrelu") + reshape(self.bias, (1, -1, 1, 1))'),), "is the bias added after the activation"),
    W("ch07_styled_layer", "AdaIN before the noise", STYLEGAN,
      (("        if self.noise is not None and noise is not False:\n            x = self.noise(x, noise, rng)\n"
        "        # + bias, then leaky ReLU times sqrt(2), as one graph node (= nn.activate(x + bias, \"lrelu\"))\n"
        '        x = bias_act(x, self.bias, slope=0.2, gain=nn.LRELU_GAIN)\n        return self.adain(x, w)',
        "        x = self.adain(x, w)\n        if self.noise is not None and noise is not False:\n"
        "            x = self.noise(x, noise, rng)\n"
        '        return nn.activate(x + reshape(self.bias, (1, -1, 1, 1)), "lrelu")'),), "not even AdaIN"),
    W("ch07_styled_layer", "the blur before the convolution", STYLEGAN,
      (("        if self.conv is not None:\n            x = self.conv(x)\n        if self.use_blur:\n            x = blur(x)",
        "        if self.use_blur:\n            x = blur(x)\n        if self.conv is not None:\n            x = self.conv(x)"),),
      "then the blur"),
    W("ch07_styled_layer", "the given noise and rng not handed on", STYLEGAN,
      (("            x = self.noise(x, noise, rng)", "            x = self.noise(x)"),), "hand `noise` and `rng` on"),
    W("ch07_synthesis", "the fade-in alpha reversed", STYLEGAN,
      (("            image = lerp(upsample_nearest(self.to_rgb[i - 1](previous)), image, alpha)",
        "            image = lerp(image, upsample_nearest(self.to_rgb[i - 1](previous)), alpha)"),), "is alpha reversed"),
    W("ch07_synthesis", "every layer given the first w", STYLEGAN,
      (("            x = self.layers[2 * k](x, ws[2 * k], layer_noise[2 * k], rng)\n"
        "            x = self.layers[2 * k + 1](x, ws[2 * k + 1], layer_noise[2 * k + 1], rng)",
        "            x = self.layers[2 * k](x, ws[0], layer_noise[2 * k], rng)\n"
        "            x = self.layers[2 * k + 1](x, ws[0], layer_noise[2 * k + 1], rng)"),), "must read its own w"),
    W("ch07_synthesis", "the list of noise maps handed whole to every layer", STYLEGAN,
      (("        layer_noise = noise if isinstance(noise, (list, tuple)) else [noise] * len(ws)",
        "        layer_noise = [noise] * len(ws)"),), "layer k gets noise[k]"),
    W("ch07_style_mixing", "crossover drawn from 0", TASKS,
      (("crossover=int(host_rng.integers(1, n_layers))", "crossover=int(host_rng.integers(0, n_layers))"),),
      "drawn uniformly from 1..5"),
    W("ch07_style_mixing", "the mixing probability inverted", TASKS,
      (("host_rng.random() < self.cfg.mixing_prob", "host_rng.random() > self.cfg.mixing_prob"),), "inverted"),
    W("ch07_style_mixing", "mixed with the same latent", TASKS,
      (("z_mix=self.latents(z.shape[0], rng)", "z_mix=z"),), "fresh batch of latents"),
    W("ch07_style_mixing", "the crossover layer itself kept from z", STYLEGAN,
      (("            ws = [w if i < crossover else w2 for i in range(n_layers)]",
        "            ws = [w if i <= crossover else w2 for i in range(n_layers)]"),), "layers before the crossover keep"),
    W("ch07_style_mixing", "w_avg not tracked in training", TASKS,
      (('        options = {"track_w_avg": True}', "        options = {}"),), "track w_avg"),
    W("ch07_w_avg", "beta and 1 - beta swapped", STYLEGAN,
      (("            self.w_avg.data = batch_mean + (self.w_avg.data - batch_mean) * self.w_avg_beta",
        "            self.w_avg.data = self.w_avg.data + (batch_mean - self.w_avg.data) * self.w_avg_beta"),),
      "are beta and 1 - beta swapped"),
    W("ch07_w_avg", "the average built inside the graph", STYLEGAN,
      (("        with no_grad():\n            batch_mean = w.data.mean(axis=0)\n"
        "            self.w_avg.data = batch_mean + (self.w_avg.data - batch_mean) * self.w_avg_beta",
        "        from ..ops import mean\n        self.w_avg = lerp(mean(w, axis=0), self.w_avg, self.w_avg_beta)"),),
      "outside the graph"),
    # --- chapter 8 ---
    W("ch08_truncation", "the blend towards w_avg reversed", STYLEGAN,
      (("lerp(w_avg, wi, psi) if i < cut else wi", "lerp(wi, w_avg, psi) if i < cut else wi"),), "is the blend reversed"),
    W("ch08_truncation", "the layers after the cutoff truncated", STYLEGAN,
      (("lerp(w_avg, wi, psi) if i < cut else wi", "lerp(w_avg, wi, psi) if i >= cut else wi"),),
      "only the layers before the cutoff"),
    W("ch08_truncation", "z's w truncated into every layer, the mixed-in ones lost", STYLEGAN,
      (("lerp(w_avg, wi, psi) if i < cut else wi", "lerp(w_avg, w, psi) if i < cut else wi"),), "the mixed-in ones too"),
    W("ch08_mixing_grid", "A's and B's styles swapped in the cells", GENERATE,
      (("(wb[k][j:j + 1] if lo <= k < hi else wa[k][i:i + 1])", "(wa[k][i:i + 1] if lo <= k < hi else wb[k][j:j + 1])"),),
      "are A and B swapped"),
    W("ch08_mixing_grid", "the corner holds A's first image", GENERATE,
      (("            cells = [np.concatenate([blank, img_b])]", "            cells = [np.concatenate([img_a[:1], img_b])]"),),
      "blank"),
    W("ch08_mixing_grid", "thirds at every resolution", GENERATE,
      (('        if self.cfg.resolution >= 64:\n            return [("coarse", 0, 4), ("middle", 4, 8), ("fine", 8, n)]\n', ""),),
      "at 64x64"),
    W("ch08_mixing_grid", "the last layer of the range left out", GENERATE,
      (("(wb[k][j:j + 1] if lo <= k < hi else wa[k][i:i + 1])", "(wb[k][j:j + 1] if lo <= k < hi - 1 else wa[k][i:i + 1])"),),
      "styles on layers"),
    W("ch08_interpolation", "a straight line in Z", GENERATE,
      (("        zs = [(np.sin((1 - s) * omega) * za + np.sin(s * omega) * zb) / np.sin(omega) if omega > 1e-6\n"
        "              else za for s in t]", "        zs = [za * (1 - s) + zb * s for s in t]"),), "spherical interpolation"),
    W("ch08_interpolation", "the W path as f of the interpolated latents", GENERATE,
      (("            w_path = Tensor(xp.concatenate([(wa.data * (1 - s) + wb.data * s) for s in t]))",
        "            w_path = self.G.map(z_path)"),), "interpolate the w's"),
]
