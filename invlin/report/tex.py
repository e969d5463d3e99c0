"""verdict.tex: the verdict table as LaTeX (booktabs), ready for a paper's appendix.

The file is a fragment to ``\\input``: it needs ``\\usepackage{booktabs}`` and
``\\usepackage{longtable}`` in the preamble. Rows are grouped as in the report's verdict
section. The verdicts are plain text with ASCII mathematics (``delta^4``, ``p_X``,
``(A^T A)^{-1}``): :func:`text` sets such atoms as formulas (Greek names as Greek letters) and
escapes everything else.
"""

from __future__ import annotations

import re

from invlin.report import verdicts

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}", "|": r"\textbar{}", "<": r"\textless{}",
            ">": r"\textgreater{}"}


def escape(text: str) -> str:
    r"""``text`` with LaTeX's special characters escaped.

    >>> print(escape("delta^4 & a_j"))
    delta\textasciicircum{}4 \& a\_j
    """
    return re.sub(r"[\\&%$#_{}~^|<>]", lambda m: _SPECIAL[m.group()], str(text))


#: Greek names in the plain-text verdicts, and their LaTeX commands.
_GREEK = {name: name for name in ("delta", "sigma", "tau", "mu", "lambda", "phi", "eta", "pi",
                                  "omega", "Sigma", "Phi", "Omega", "theta", "alpha", "beta",
                                  "gamma")} | {"lam": "lambda"}
# a word or ")" with a subscript and/or a superscript, or a Greek name on its own
_ATOM = re.compile(r"(?P<base>[A-Za-z]+|\))(?P<sub>_(?:\{[^{}]*\}|[A-Za-z0-9]+))?"
                   r"(?P<sup>\^(?:\{[^{}]*\}|[A-Za-z0-9*]+))?")


def text(plain: str) -> str:
    r"""LaTeX for a plain-text sentence with ASCII mathematics.

    >>> print(text("delta^4 terms of p_X & more"))
    \ensuremath{\delta^{4}} terms of \ensuremath{p_{X}} \& more
    >>> print(text("(A^T A)^{-1}"))
    (\ensuremath{A^{T}} A)\ensuremath{^{-1}}
    """
    out, position = [], 0
    for match in _ATOM.finditer(plain):
        base, sub, sup = match.group("base", "sub", "sup")
        if not (sub or sup or base in _GREEK):
            continue
        out.append(escape(plain[position:match.start()]))
        position = match.end()
        if base == ")":
            out.append(")")
            base = ""
        elif base in _GREEK:
            base = "\\" + _GREEK[base]
        elif len(base) > 1:
            base = r"\mathrm{" + base + "}"
        math = base + "".join(f"{mark}{{{_script(part[1:])}}}" for mark, part in
                              (("_", sub), ("^", sup)) if part)
        out.append(r"\ensuremath{" + math + "}")
    out.append(escape(plain[position:]))
    return "".join(out)


def _script(part: str) -> str:
    """The content of a sub- or superscript, without its braces, in math mode."""
    inner = part[1:-1] if part.startswith("{") else part
    return re.sub(r"\b(" + "|".join(sorted(_GREEK, key=len, reverse=True)) + r")\b",
                  lambda m: "\\" + _GREEK[m.group(1)] + " ", inner).replace("*", r"\ast").strip()


def verdict_table(document: dict) -> str:
    """The verdict table of a results document as a booktabs ``longtable``."""
    lines = [
        "% invlin verdict table; needs \\usepackage{booktabs,longtable}",
        f"% {escape(document['command'])}",
        r"\begin{longtable}{@{}p{0.35\linewidth}p{0.38\linewidth}ll@{}}",
        r"\caption{Verdicts of the claims checked by invlin (source: paper = the paper's "
        r"statement or a reading of it, ours = this project's; status: PASS = the checks "
        r"confirm the verdict).}\\",
        r"\toprule",
        r"Statement (claim) & Reason & Source & Status \\",
        r"\midrule",
        r"\endhead",
    ]
    for number, (_, title, _, members) in enumerate(verdicts.grouped(document)):
        if number:
            lines.append(r"\midrule")
        lines.append(rf"\multicolumn{{4}}{{@{{}}l}}{{\textbf{{{escape(title)}}}}} \\")
        for claim in members:
            verdict = claim.get("verdict") or {}
            reason = verdict.get("reason", claim["reason"])
            if verdict.get("breaks_at"):
                reason += f" Breaks at order {verdict['breaks_at']}."
            if verdict.get("counterexample"):
                reason += f" Counterexample: {verdict['counterexample']}"
            statement = (text(verdict.get("statement") or claim["statement"])
                         + r" {\footnotesize(\texttt{"
                         + escape(claim["id"]).replace("-", r"-\allowbreak{}") + "})}")
            lines.append(" & ".join([statement, text(reason), escape(verdicts.source(claim)),
                                     escape(claim["status"])]) + r" \\")
    lines += [r"\bottomrule", r"\end{longtable}", ""]
    return "\n".join(lines)
