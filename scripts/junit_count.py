#!/usr/bin/env python3
"""Counts passed and failed test cases in meson's JUnit log; prints "PASSED FAILED".

meson writes one <testsuite> per test program and, for gtest-protocol tests, one <testcase> per
GoogleTest case. A program that crashed before reporting its cases counts as one failure.
"""
import sys
import xml.etree.ElementTree as ET

def main(path: str) -> None:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        print(0, 1)
        return
    passed = failed = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            continue
        else:
            passed += 1
    print(passed, failed)

if __name__ == "__main__":
    main(sys.argv[1])
