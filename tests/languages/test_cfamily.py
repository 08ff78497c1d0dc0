from workbench.mapping.languages import parse_source

from lang_helpers import Repo, defs, imports, line_counts, src

LIST_C = """
    #include <stdio.h>
    #include "list.h"
    #include "../common/log.h"
    #define MAX 10
    struct node { int v; };
    typedef struct { int x; } pair_t;
    static int *find(struct node *n, int k) {
        while (n && k) { if (k > 1 || k < 0) return 0; }
        return k ? &n->v : 0;
    }
    int main(void) { printf("hi"); return 0; }
"""

WIDGET_CPP = """
    #include <vector>
    #include <boost/asio.hpp>
    #include "util/helper.hpp"
    namespace acme {
    /* block
       comment */
    class Widget : public Base, private Other {
    public:
        Widget();
        int size() const { return n > 0 && m ? n : 0; }
    private:
        int n;
    };
    struct Point { int x; };
    template <typename T> T maxof(T a, T b) { return a > b ? a : b; }
    int Widget::draw(int x) {
        for (auto v : items) {}
        switch (x) { case 1: break; default: break; }
        try { run(); } catch (const std::exception& e) {}
        return helper::compute(x);
    }
    Widget::~Widget() {}
    enum class Color { Red };
    }
"""


def test_c_facts():
    facts = parse_source("c", src(LIST_C))
    assert facts.problem is None
    assert defs(facts) == [
        ("struct", "node", "", 5, 5, (), None),
        ("struct", "pair_t", "", 6, 6, (), None),
        ("function", "find", "", 7, 10, (), 6),  # 1 + while + && + if + || + ternary
        ("function", "main", "", 11, 11, (), 1),
    ]
    assert imports(facts) == [
        ("stdio.h", 1, (), "include_system"),
        ("list.h", 2, (), "include_local"),
        ("../common/log.h", 3, (), "include_local"),
    ]
    assert [(c.caller, c.callee) for c in facts.calls] == [("main", "printf")]
    assert line_counts(facts) == (11, 11, 0, 0)


def test_cpp_facts():
    facts = parse_source("cpp", src(WIDGET_CPP))
    assert facts.problem is None
    assert defs(facts) == [
        ("class", "Widget", "", 7, 13, ("Base", "Other"), None),
        ("method", "Widget.size", "Widget", 10, 10, (), 3),
        ("struct", "Point", "", 14, 14, (), None),
        ("function", "maxof", "", 15, 15, (), 2),
        ("method", "Widget.draw", "Widget", 16, 21, (), 4),  # 1 + range-for + case + catch
        ("method", "Widget.~Widget", "Widget", 22, 22, (), 1),
        ("enum", "Color", "", 23, 23, (), None),
    ]
    assert imports(facts) == [
        ("vector", 1, (), "include_system"),
        ("boost/asio.hpp", 2, (), "include_system"),
        ("util/helper.hpp", 3, (), "include_local"),
    ]
    assert line_counts(facts) == (24, 22, 2, 0)


def test_c_resolution():
    repo = Repo({
        "src/list.c": LIST_C,
        "src/list.h": "struct node;\n",
        "common/log.h": "void log(void);\n",
        "lib/widget.cpp": WIDGET_CPP,
        "include/util/helper.hpp": "int compute(int);\n",
        "third_party/util/helper.hpp": "int other(int);\n",
    })
    assert repo.resolve("src/list.c") == [
        ("stdio.h", None, "stdio.h"),
        ("list.h", "src/list.h", None),
        ("../common/log.h", "common/log.h", None),
    ]
    assert repo.resolve("lib/widget.cpp") == [
        ("vector", None, "vector"),
        ("boost/asio.hpp", None, "boost"),
        # not beside the file: found by path suffix, the shortest candidate first
        ("util/helper.hpp", "include/util/helper.hpp", None),
    ]
