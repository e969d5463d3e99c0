"""verdict.tex: the verdict table as LaTeX (booktabs), ready for a paper's appendix.

The file is a fragment to ``\\input``: it needs ``\\usepackage{booktabs}`` and
``\\usepackage{longtable}`` in the preamble. Rows are grouped as in the report's verdict
section; text is escaped for LaTeX (plain-text mathematics such as ``delta^4`` is set as
text, not as formulas).
"""

from __future__ import annotations

import re

from invlin.report import verdicts

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}"}


def escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped.

    >>> escape("delta^4 & a_j")
    'delta\\\\textasciicircum{}4 \\\\& a\\\\_j'
    """
    return re.sub(r"[\\&%$#_{}~^]", lambda m: _SPECIAL[m.group()], str(text))


def verdict_table(document: dict) -> str:
    """The verdict table of a results document as a booktabs ``longtable``."""
    lines = [
        "% invlin verdict table; needs \\usepackage{booktabs,longtable}",
        f"% {escape(document['command'])}",
        r"\begin{longtable}{@{}p{0.38\linewidth}p{0.42\linewidth}ll@{}}",
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
            statement = (escape(verdict.get("statement") or claim["statement"])
                         + r" {\footnotesize(\texttt{" + escape(claim["id"]) + "})}")
            lines.append(" & ".join([statement, escape(reason), escape(verdicts.source(claim)),
                                     escape(claim["status"])]) + r" \\")
    lines += [r"\bottomrule", r"\end{longtable}", ""]
    return "\n".join(lines)
