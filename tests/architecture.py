"""An import-linter contract type for "Flask only at the web edge" (pyproject.toml).

import-linter's own `forbidden` contract cannot say "every module except the web packages":
this one takes the packages, the patterns of their web modules and the web frameworks, and
fails on any chain of imports from a non-web module to a framework, however indirect.
"""

from __future__ import annotations

from importlinter.application import contract_utils, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class WebEdgeContract(Contract):
    type_name = "web_edge"

    packages = fields.ListField(subfield=fields.StringField())
    web = fields.ListField(subfield=fields.StringField())
    frameworks = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def check(self, graph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph, ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=AlertLevel.ERROR)
        web = {m for pattern in self.web for m in graph.find_matching_modules(pattern)}
        modules = sorted(m for package in self.packages
                         for m in {package, *graph.find_descendants(package)} if m not in web)
        frameworks = [f for f in self.frameworks if f in graph.modules]
        chains = []
        for module in modules:
            for framework in frameworks:
                chain = graph.find_shortest_chain(importer=module, imported=framework)
                if chain:
                    chains.append(chain)
                    output.verbose_print(verbose, " -> ".join(chain))
        return ContractCheck(kept=not chains, warnings=list(removal.warnings),
                             ignored_import_count=removal.ignored_import_count,
                             metadata={"chains": chains})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for chain in check.metadata["chains"]:
            output.print_error(f"{chain[0]} is not a web module but imports {chain[-1]}:",
                               bold=True)
            output.print_error("    " + " -> ".join(chain))
            output.new_line()
