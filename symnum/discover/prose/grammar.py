"""Grammar of prefix token systems, as a per-sequence state machine for constrained decoding.

A :class:`PrefixState` follows one sequence being decoded (without its
``<BOS>``) and says which token *categories* may come next, so that whatever the
decoder picks, the finished sequence decodes with :func:`.tokens.decode` into
exactly ``dim`` expressions:

* where an operand is expected: operators, the states ``u_0 .. u_{dim-1}``,
  integer tokens and a sign ``'+'``/``'-'`` (a number);
* after a sign only a mantissa ``'N...'``, after a mantissa only an exponent ``'E...'``;
* the exponent of ``pow`` is an integer token ``4 .. 10`` (the only ones
  :func:`.tokens.encode` writes there);
* every operator has a state ``u_i`` below it (except the integer exponent of
  ``pow``): :func:`.tokens.encode` folds constant subexpressions into one number,
  so ``exp 2`` or ``mul 3 4`` never occur in its output, and SymPy's eager
  evaluation of constant towers (``pow2 pow2 ... 2``, ``exp exp mul -10 -10 ...``)
  can make :func:`.tokens.decode` run for minutes;
* once a tree is complete: ``'|'`` while fewer than ``dim`` components are done,
  else ``<EOS>``; ``<PAD>``, ``<BOS>`` and ``<PLACEHOLDER>`` never.

Three further rules keep decoding finite and cheap:

* length budget: a token is allowed only if the sequence can still be finished
  within ``budget`` tokens (``<EOS>`` included) by closing every open operand with
  one leaf; when the budget is tight only leaves remain, which stops runaway trees;
* at most ``max_power_depth`` (default 3) nested ``pow``/``pow2``/``pow3``: SymPy
  evaluates powers of exact integers eagerly, and deeper towers such as
  ``pow2 pow2 ... 2`` make :func:`.tokens.decode` run for ever;
* at most ``max_function_depth`` (default 3) nested ``exp log sin cos tan sqrt``:
  SymPy's automatic evaluation of ``log log ... log 6`` takes 11 s at depth 12
  and grows exponentially, while depth 4 stays under 0.05 s (the rule above makes
  this cap a second safeguard).

Systems that need deeper nesting cannot be emitted (real ones almost never do).

Examples
--------
>>> from symnum.discover.prose import tokens
>>> grammar = PrefixGrammar(tokens.vocabulary(max_states=3, precision=3))
>>> state = grammar.start(dim=2, budget=20)
>>> for tok in ["add", "u_0", "-", "N101", "E-1", "|", "u_1"]:
...     state.push(grammar.index[tok])
>>> [c for c, ok in zip(grammar.categories, state.allowed()) if ok]
['eos']
"""

from __future__ import annotations

from . import tokens

__all__ = ["PrefixGrammar", "PrefixState"]

_POWERS = ("pow", "pow2", "pow3")
_FUNCTIONS = ("exp", "log", "sin", "cos", "tan", "sqrt")
_POW_EXPONENTS = tuple(str(i) for i in range(4, tokens.MAX_INT + 1))


class PrefixGrammar:
    """Token categories of a vocabulary, and the factory of :class:`PrefixState`.

    Parameters
    ----------
    vocab : list of str
        As returned by :func:`.tokens.vocabulary`.
    max_power_depth : int
        Most ``pow``/``pow2``/``pow3`` nested in one another.
    max_function_depth : int
        Most ``exp log sin cos tan sqrt`` nested in one another.

    Attributes
    ----------
    categories : list of str
        Category names; :meth:`PrefixState.allowed` returns one bool per category.
    token_category : list of int
        Category index of each token id.
    index : dict
        Token -> id.

    Examples
    --------
    >>> grammar = PrefixGrammar(tokens.vocabulary(max_states=2, precision=1))
    >>> grammar.categories[grammar.token_category[grammar.index["N7"]]]
    'mantissa'
    """

    def __init__(self, vocab, max_power_depth=3, max_function_depth=3):
        self.vocab = list(vocab)
        self.index = {tok: i for i, tok in enumerate(self.vocab)}
        self.max_power_depth = max_power_depth
        self.max_function_depth = max_function_depth
        self.n_states = sum(tok.startswith("u_") for tok in self.vocab)
        self.categories = ["never", "binary", "power_binary", "power_unary", "function", "unary",
                           "int",
                           "pow_exponent", "sign", "mantissa", "exponent", "bar", "eos"]
        self.categories += [f"u_{i}" for i in range(self.n_states)]
        cat = {name: i for i, name in enumerate(self.categories)}
        self.cat = cat
        self.token_category = [self._category(tok, cat) for tok in self.vocab]

    @staticmethod
    def _category(tok, cat):
        if tok in tokens.OPERATORS:
            if tok == "pow":
                return cat["power_binary"]
            if tok in _POWERS:
                return cat["power_unary"]
            if tok in _FUNCTIONS:
                return cat["function"]
            return cat["binary"] if tokens.OPERATORS[tok] == 2 else cat["unary"]
        if tok in cat and tok.startswith("u_"):
            return cat[tok]
        if tok in _POW_EXPONENTS:
            return cat["pow_exponent"]
        if tok.lstrip("-").isdigit():
            return cat["int"]
        if tok in ("+", "-"):
            return cat["sign"]
        if tok[:1] == "N" and tok[1:].isdigit():
            return cat["mantissa"]
        if tok[:1] == "E" and tok[1:].lstrip("-").isdigit():
            return cat["exponent"]
        if tok == "|":
            return cat["bar"]
        if tok == "<EOS>":
            return cat["eos"]
        return cat["never"]  # <PAD>, <BOS>, <PLACEHOLDER>

    def start(self, dim, budget):
        """A fresh state for a system of ``dim`` components and at most ``budget`` tokens
        (``<EOS>`` included, ``<BOS>`` not)."""
        if not 1 <= dim <= self.n_states:
            raise ValueError(f"dim must be in 1..{self.n_states} for this vocabulary, got {dim!r}")
        return PrefixState(self, int(dim), int(budget))


class PrefixState:
    """Where one sequence stands: open operators, finished components, number in progress.

    Use :meth:`PrefixGrammar.start` to make one, :meth:`allowed` for the next
    token's categories and :meth:`push` to feed the chosen token id.
    """

    def __init__(self, grammar, dim, budget):
        self.grammar = grammar
        self.dim = dim
        self.budget = budget
        self.used = 0
        self.done_components = 0
        self.stack = [["root", 1, True]]  # [operator, slots still open, has a state below]
        self.number = 0  # 0: not in a number, 1: after the sign, 2: after the mantissa
        self.finished = False

    def copy(self):
        """An independent copy (for beam search)."""
        new = PrefixState(self.grammar, self.dim, self.budget)
        new.used, new.done_components = self.used, self.done_components
        new.stack = [list(entry) for entry in self.stack]
        new.number, new.finished = self.number, self.finished
        return new

    def _tail(self):
        # tokens that finish the system once the current tree is complete: '|' + leaf per
        # component still missing, then <EOS>
        return 2 * (self.dim - self.done_components - 1) + 1

    def allowed(self):
        """One bool per :attr:`PrefixGrammar.categories`: may the next token be of that category?"""
        cat = self.grammar.cat
        ok = [False] * len(self.grammar.categories)
        if self.finished:
            ok[cat["eos"]] = True  # padding after the end; the caller ignores it
            return ok
        if self.number == 1:
            ok[cat["mantissa"]] = True
            return ok
        if self.number == 2:
            ok[cat["exponent"]] = True
            return ok
        if not self.stack:
            ok[cat["bar" if self.done_components < self.dim else "eos"]] = True
            return ok
        top = self.stack[-1]
        if top[0] == "pow" and top[1] == 1:
            ok[cat["pow_exponent"]] = True
            return ok
        power_ok = sum(e[0] in _POWERS for e in self.stack) < self.grammar.max_power_depth
        function_ok = (sum(e[0] in _FUNCTIONS for e in self.stack)
                       < self.grammar.max_function_depth)
        constant_ok = self._constant_ok()
        # (category, operand slots open after it, structurally allowed)
        choices = [("int", -1, constant_ok), ("pow_exponent", -1, constant_ok),
                   ("sign", 1, constant_ok), ("unary", 0, True), ("binary", 1, True),
                   ("power_unary", 0, power_ok), ("function", 0, function_ok),
                   ("power_binary", 1, power_ok)]
        choices += [(f"u_{i}", -1, True) for i in range(self.dim)]
        need = sum(entry[1] for entry in self.stack)
        room = self.budget - self.used - 1 - self._tail()  # tokens left for the open slots
        for name, extra, structural in choices:
            ok[cat[name]] = structural and need + extra <= room
        if not any(ok):  # the budget cannot be met at all: keep to the grammar alone
            for name, _, structural in choices:
                ok[cat[name]] = structural
        return ok

    def _constant_ok(self):
        # May the next operand be a constant leaf? Not if it uses up the last slot where an
        # open operator still lacking a state could get one (the exponent slot of 'pow' does
        # not count): an operator over constants only is never needed, since encode() folds
        # constant subexpressions into one number.
        slots = 0
        for op, remaining, has_var in reversed(self.stack):
            slots += remaining - (op == "pow")
            if not has_var and slots - 1 <= 0:
                return False
        return True

    def push(self, token_id):
        """Advance past ``token_id`` (assumed allowed)."""
        g = self.grammar
        tok = g.vocab[token_id]
        name = g.categories[g.token_category[token_id]]
        self.used += 1
        if self.finished:
            return
        if name == "eos":
            self.finished = True
        elif name == "bar":
            self.stack = [["root", 1, True]]
        elif name == "mantissa":
            self.number = 2
        elif name == "exponent":
            self.number = 0
            self._close()
        else:
            self.stack[-1][1] -= 1  # the token fills one operand slot
            if tok in tokens.OPERATORS:
                self.stack.append([tok, tokens.OPERATORS[tok], False])
            elif name == "sign":
                self.number = 1
            else:
                if name.startswith("u_"):
                    for entry in self.stack:
                        entry[2] = True
                self._close()

    def _close(self):
        while self.stack and self.stack[-1][1] == 0:
            self.stack.pop()
        if not self.stack:
            self.done_components += 1
