from workbench.mapping.languages import parse_source

from lang_helpers import Repo, defs, imports, line_counts, src

SERVER_GO = """
    package server

    import (
    	"fmt"
    	h "net/http"
    	"github.com/acme/app/internal/store"
    	"github.com/spf13/cobra/doc"
    )
    import "golang.org/x/sync/errgroup"

    // Server serves.
    type Server struct {
    	Base
    	*store.DB
    	name string
    }

    type Handler interface {
    	Serve() error
    }

    type ID string

    func (s *Server) Start(x int) error {
    	if x > 0 && x < 3 {
    		return nil
    	}
    	for i := 0; i < x; i++ {}
    	switch x { case 1: default: }
    	select { case <-ch: }
    	fmt.Println(s.name)
    	return nil
    }

    func New[T any]() *Server { return &Server{} }
"""


def test_go_facts():
    facts = parse_source("go", src(SERVER_GO))
    assert facts.problem is None
    assert facts.extra == {"package": "server"}
    assert defs(facts) == [
        ("struct", "Server", "", 12, 16, ("Base", "store.DB"), None),
        ("interface", "Handler", "", 18, 20, (), None),
        ("type", "ID", "", 22, 22, (), None),
        # 1 + if + && + for + case 1 (default not counted) + select case
        ("method", "Server.Start", "Server", 24, 33, (), 6),
        ("function", "New", "", 35, 35, (), 1),
    ]
    assert imports(facts) == [
        ("fmt", 4, (), "import"),
        ("net/http", 5, ("h",), "import"),
        ("github.com/acme/app/internal/store", 6, (), "import"),
        ("github.com/spf13/cobra/doc", 7, (), "import"),
        ("golang.org/x/sync/errgroup", 9, (), "import"),
    ]
    assert [(c.caller, c.callee) for c in facts.calls] == [("Server.Start", "fmt.Println")]
    assert line_counts(facts) == (35, 28, 1, 6)


def test_go_resolution():
    repo = Repo({
        "go.mod": "module github.com/acme/app\n\ngo 1.22\n",
        "server/server.go": SERVER_GO,
        "internal/store/db.go": "package store\n\ntype DB struct{}\n",
        "internal/store/a_query.go": "package store\n",
        "internal/store/db_test.go": "package store\n",
    })
    assert repo.resolve("server/server.go") == [
        ("fmt", None, "fmt"),
        ("net/http", None, "net/http"),
        # the canonical file is the first non-test file of the package directory
        ("github.com/acme/app/internal/store", "internal/store/a_query.go", None),
        ("github.com/spf13/cobra/doc", None, "github.com/spf13/cobra"),
        ("golang.org/x/sync/errgroup", None, "golang.org/x/sync"),
    ]
    facts = repo.facts["server/server.go"]
    store = repo.resolver.resolve("go", "server/server.go", facts.imports[2])
    assert store.files == ("internal/store/a_query.go", "internal/store/db.go")
