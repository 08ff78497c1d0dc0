from workbench.mapping.languages import parse_source

from lang_helpers import Repo, defs, imports, line_counts, src

SERVICE_CS = """
    using System;
    using System.Collections.Generic;
    using static Acme.Util.Strings;
    using Models = Acme.Models;
    using Acme.Data;

    namespace Acme.App
    {
        // A service.
        public class Service : BaseService, IService
        {
            public Service() { }
            public int Run(int x)
            {
                if (x > 0 && x < 2 || x == 3) return 1;
                foreach (var i in list) { Log(i); }
                switch (x) { case 1: break; default: break; }
                var y = x switch { 1 => 2, _ => 3 };
                try { } catch (Exception) { }
                return x > 1 ? x : x ?? 0;
            }
        }
        interface IService { int Run(int x); }
        struct Pt { }
        enum E { A }
        record R(int X);
    }
"""


def test_csharp_facts():
    facts = parse_source("csharp", src(SERVICE_CS))
    assert facts.problem is None
    assert facts.extra == {"package": "Acme.App"}
    assert defs(facts) == [
        ("class", "Service", "", 10, 22, ("BaseService", "IService"), None),
        ("method", "Service.Service", "Service", 12, 12, (), 1),
        # 1 + if + && + || + foreach + case + switch arm (not _) + catch + ternary + ??
        ("method", "Service.Run", "Service", 13, 21, (), 10),
        ("interface", "IService", "", 23, 23, (), None),
        ("method", "IService.Run", "IService", 23, 23, (), 1),
        ("struct", "Pt", "", 24, 24, (), None),
        ("enum", "E", "", 25, 25, (), None),
        ("record", "R", "", 26, 26, (), None),
    ]
    assert imports(facts) == [
        ("System", 1, (), "import"),
        ("System.Collections.Generic", 2, (), "import"),
        ("Acme.Util.Strings", 3, (), "static"),
        ("Acme.Models", 4, ("Models",), "import"),
        ("Acme.Data", 5, (), "import"),
    ]
    assert [(c.caller, c.callee) for c in facts.calls] == [("Service.Run", "Log")]
    assert line_counts(facts) == (27, 25, 1, 1)


def test_csharp_resolution():
    repo = Repo({
        "src/App/Service.cs": SERVICE_CS,
        "src/Util/Strings.cs": "namespace Acme.Util;\npublic static class Strings { }\n",
        "src/Models/User.cs": "namespace Acme.Models { public class User { } }\n",
        "src/Models/Order.cs": "namespace Acme.Models { public class Order { } }\n",
    })
    assert repo.resolve("src/App/Service.cs") == [
        ("System", None, "System"),
        ("System.Collections.Generic", None, "System"),
        ("Acme.Util.Strings", "src/Util/Strings.cs", None),
        ("Acme.Models", "src/Models/Order.cs", None),
        ("Acme.Data", None, "Acme"),
    ]
    models = repo.resolver.resolve("csharp", "src/App/Service.cs",
                                   repo.facts["src/App/Service.cs"].imports[3])
    assert models.files == ("src/Models/Order.cs", "src/Models/User.cs")
