"""Tests of the codemod registry, runner and every codemod's declared cases."""
