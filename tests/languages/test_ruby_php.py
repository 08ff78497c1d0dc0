from workbench.mapping.languages import parse_source

from lang_helpers import Repo, defs, imports, line_counts, src

WIDGET_RB = """
    require 'json'
    require_relative 'helper'
    require "acme/version"
    require 'net/http'

    # Comment
    module Acme
      class Widget < Base
        include Comparable
        def initialize(x)
          @x = x
        end

        def run(y)
          if y > 1 && y < 3 or y == 0
            puts "a"
          elsif y
            nil
          end
          return 1 unless y
          case y
          when 1 then 2
          else 3
          end
          y.each { |i| i }
          begin; rescue StandardError; end
          y ? 1 : 2
        end

        def self.build
          new(1)
        end
      end
    end
    class Acme::Other; end
"""

CONTROLLER_PHP = """
    <?php
    namespace App\\Http;

    use App\\Models\\User;
    use Foo\\{Bar, Baz as Q};
    require_once __DIR__ . '/helpers.php';
    include 'config.php';

    // comment
    abstract class Controller extends BaseController implements Responder, Other
    {
        public function handle($x): int
        {
            if ($x > 1 && $x < 2 || $x and $y) { return 1; } elseif ($x) { }
            foreach ($items as $i) {}
            switch ($x) { case 1: break; default: break; }
            try { f(); } catch (Exception $e) {}
            $this->run();
            User::find(1);
            return $x ? 1 : ($x ?? 2);
        }
    }
    interface Responder { public function respond(); }
    trait Loggable { function log() {} }
    function helper() { return match($a) { 1 => 2, default => 3 }; }
    enum Suit { case Hearts; }
"""


def test_ruby_facts():
    facts = parse_source("ruby", src(WIDGET_RB))
    assert facts.problem is None
    assert defs(facts) == [
        ("module", "Acme", "", 7, 34, (), None),
        ("class", "Acme.Widget", "Acme", 8, 33, ("Base",), None),
        ("method", "Acme.Widget.initialize", "Acme.Widget", 10, 12, (), 1),
        # 1 + if + && + or + elsif + unless + when (else not counted) + rescue + ternary
        ("method", "Acme.Widget.run", "Acme.Widget", 14, 28, (), 9),
        ("method", "Acme.Widget.build", "Acme.Widget", 30, 32, (), 1),
        ("class", "Acme.Other", "Acme", 35, 35, (), None),
    ]
    assert imports(facts) == [
        ("json", 1, (), "require"),
        ("helper", 2, (), "require_relative"),
        ("acme/version", 3, (), "require"),
        ("net/http", 4, (), "require"),
    ]
    assert [(c.caller, c.callee) for c in facts.calls] == [
        ("", "include"), ("Acme.Widget.run", "puts"), ("Acme.Widget.run", "y.each"),
        ("Acme.Widget.build", "new"),
    ]
    assert line_counts(facts) == (35, 31, 1, 3)


def test_ruby_resolution():
    repo = Repo({
        "lib/acme/widget.rb": WIDGET_RB,
        "lib/acme/helper.rb": "module Helper; end\n",
        "lib/acme/version.rb": "VERSION = '1'\n",
    })
    assert repo.resolve("lib/acme/widget.rb") == [
        ("json", None, "json"),
        ("helper", "lib/acme/helper.rb", None),
        ("acme/version", "lib/acme/version.rb", None),
        ("net/http", None, "net"),
    ]


def test_php_facts():
    facts = parse_source("php", src(CONTROLLER_PHP))
    assert facts.problem is None
    assert facts.extra == {"package": "App\\Http"}
    assert defs(facts) == [
        ("class", "Controller", "", 10, 22, ("BaseController", "Responder", "Other"), None),
        # 1 + if + && + || + and + elseif + foreach + case + catch + ternary + ??
        ("method", "Controller.handle", "Controller", 12, 21, (), 11),
        ("interface", "Responder", "", 23, 23, (), None),
        ("method", "Responder.respond", "Responder", 23, 23, (), 1),
        ("trait", "Loggable", "", 24, 24, (), None),
        ("method", "Loggable.log", "Loggable", 24, 24, (), 1),
        ("function", "helper", "", 25, 25, (), 2),
        ("enum", "Suit", "", 26, 26, (), None),
    ]
    assert imports(facts) == [
        ("App\\Models\\User", 4, (), "use"),
        ("Foo\\Bar", 5, (), "use"),
        ("Foo\\Baz", 5, ("Q",), "use"),
        ("./helpers.php", 6, (), "require"),
        ("config.php", 7, (), "include"),
    ]
    assert [(c.caller, c.callee) for c in facts.calls] == [
        ("Controller.handle", "f"), ("Controller.handle", "$this->run"),
        ("Controller.handle", "User::find"),
    ]
    assert line_counts(facts) == (26, 23, 1, 2)


def test_php_resolution():
    repo = Repo({
        "app/Http/Controller.php": CONTROLLER_PHP,
        "app/Http/helpers.php": "<?php function h() {}\n",
        "config.php": "<?php return [];\n",
        # PSR-4 layout: App\\ maps to app/
        "app/Models/User.php": "<?php\nnamespace App\\Models;\nclass User {}\n",
    })
    assert repo.resolve("app/Http/Controller.php") == [
        ("App\\Models\\User", "app/Models/User.php", None),
        ("Foo\\Bar", None, "Foo\\Bar"),
        ("Foo\\Baz", None, "Foo\\Baz"),
        ("./helpers.php", "app/Http/helpers.php", None),
        ("config.php", "config.php", None),
    ]
