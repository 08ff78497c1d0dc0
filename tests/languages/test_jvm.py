from workbench.mapping.languages import parse_source

from lang_helpers import Repo, defs, imports, line_counts, src

APP_JAVA = """
    package com.acme.app;

    import java.util.List;
    import static com.acme.util.Strings.join;
    import com.acme.model.*;
    import com.acme.util.Strings;

    /** Doc. */
    public class App extends Base implements Runnable, Closeable {
        private int n;
        public App(int n) { this.n = n; }
        @Override
        public void run() {
            if (n > 0 && n < 2 || n == 5) { helper(); }
            for (int i = 0; i < n; i++) {}
            for (String s : list) {}
            while (n > 0) { n--; }
            do { } while (false);
            switch (n) { case 1: break; default: break; }
            try { x(); } catch (Exception e) {}
            int y = n > 0 ? 1 : 2;
        }
        static class Inner {}
        interface Callback extends Foo { void call(); }
        enum Mode { A, B }
        record Point(int x, int y) {}
    }
"""

MAIN_KT = """
    package com.acme.app

    import com.acme.util.Strings
    import com.acme.util.helper
    import kotlinx.coroutines.*

    /* block */
    open class Base
    interface Greeter {
        fun greet(): String
    }
    class Foo(val x: Int) : Base(), Greeter {
        override fun greet(): String {
            if (x > 0 && x < 5) return "a" else return when (x) { 1 -> "b"; else -> "c" }
        }
        companion object {
            fun make() = Foo(1)
        }
    }
    object Single
    enum class Color { RED }
    fun top(a: Int): Int { for (i in 0..a) { try { println(i) } catch (e: Exception) {} }; return a ?: 1 }
"""


def test_java_facts():
    facts = parse_source("java", src(APP_JAVA))
    assert facts.problem is None
    assert facts.extra == {"package": "com.acme.app"}
    assert defs(facts) == [
        ("class", "App", "", 9, 27, ("Base", "Runnable", "Closeable"), None),
        ("method", "App.App", "App", 11, 11, (), 1),
        # 1 + if + && + || + for + for-each + while + do + case + catch + ternary
        ("method", "App.run", "App", 12, 22, (), 11),
        ("class", "App.Inner", "App", 23, 23, (), None),
        ("interface", "App.Callback", "App", 24, 24, ("Foo",), None),
        ("method", "App.Callback.call", "App.Callback", 24, 24, (), 1),
        ("enum", "App.Mode", "App", 25, 25, (), None),
        ("record", "App.Point", "App", 26, 26, (), None),
    ]
    assert imports(facts) == [
        ("java.util.List", 3, (), "import"),
        ("com.acme.util.Strings.join", 4, (), "static"),
        ("com.acme.model", 5, ("*",), "import"),
        ("com.acme.util.Strings", 6, (), "import"),
    ]
    assert [(c.caller, c.callee) for c in facts.calls] == [("App.run", "helper"), ("App.run", "x")]
    assert line_counts(facts) == (27, 24, 1, 2)


def test_kotlin_facts():
    facts = parse_source("kotlin", src(MAIN_KT))
    assert facts.problem is None
    assert facts.extra == {"package": "com.acme.app"}
    assert defs(facts) == [
        ("class", "Base", "", 8, 8, (), None),
        ("interface", "Greeter", "", 9, 11, (), None),
        ("method", "Greeter.greet", "Greeter", 10, 10, (), 1),
        ("class", "Foo", "", 12, 19, ("Base", "Greeter"), None),
        # 1 + if + && + when branch 1 (else not counted)
        ("method", "Foo.greet", "Foo", 13, 15, (), 4),
        ("object", "Foo.Companion", "Foo", 16, 18, (), None),
        ("method", "Foo.Companion.make", "Foo.Companion", 17, 17, (), 1),
        ("object", "Single", "", 20, 20, (), None),
        ("enum", "Color", "", 21, 21, (), None),
        # 1 + for + catch + elvis
        ("function", "top", "", 22, 22, (), 4),
    ]
    assert imports(facts) == [
        ("com.acme.util.Strings", 3, (), "import"),
        ("com.acme.util.helper", 4, (), "import"),
        ("kotlinx.coroutines", 5, ("*",), "import"),
    ]


def test_jvm_resolution():
    repo = Repo({
        "app/src/main/java/com/acme/app/App.java": APP_JAVA,
        "app/src/main/java/com/acme/util/Strings.java":
            "package com.acme.util;\npublic class Strings {}\n",
        "app/src/main/java/com/acme/model/User.java": "package com.acme.model;\nclass User {}\n",
        "app/src/main/java/com/acme/model/Order.java": "package com.acme.model;\nclass Order {}\n",
        "app/src/main/kotlin/Main.kt": MAIN_KT,
        # Kotlin files need not sit in their package's directory: found by declared package
        "app/src/main/kotlin/util/Helpers.kt": "package com.acme.util\n\nfun helper() = 1\n",
    })
    assert repo.resolve("app/src/main/java/com/acme/app/App.java") == [
        ("java.util.List", None, "java.util"),
        ("com.acme.util.Strings.join", "app/src/main/java/com/acme/util/Strings.java", None),
        ("com.acme.model", "app/src/main/java/com/acme/model/Order.java", None),
        ("com.acme.util.Strings", "app/src/main/java/com/acme/util/Strings.java", None),
    ]
    wildcard = repo.resolver.resolve(
        "java", "app/src/main/java/com/acme/app/App.java",
        repo.facts["app/src/main/java/com/acme/app/App.java"].imports[2])
    assert wildcard.files == ("app/src/main/java/com/acme/model/Order.java",
                              "app/src/main/java/com/acme/model/User.java")
    assert repo.resolve("app/src/main/kotlin/Main.kt") == [
        ("com.acme.util.Strings", "app/src/main/java/com/acme/util/Strings.java", None),
        ("com.acme.util.helper", "app/src/main/kotlin/util/Helpers.kt", None),
        ("kotlinx.coroutines", None, "kotlinx.coroutines"),
    ]
