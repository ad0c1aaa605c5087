#!/usr/bin/python3
"""Write conf/countries.tsv: ISO 3166-1 alpha-2 region -> E.164 prefixes.

Source: the libphonenumber metadata shipped offline by Debian's python3-phonenumbers (and
python3-regex for partial matching). Run with Debian's interpreter, /usr/bin/python3, so that
the packaged modules are found:

    /usr/bin/python3 scripts/gen_countries.py > conf/countries.tsv
    /usr/bin/python3 scripts/gen_countries.py --check conf/countries.tsv   # exit 1 if stale

Shared calling codes (+1 NANP, +7 RU/KZ, +44 GB/GG/JE/IM, +47, +39, +61, +212, +262, +290,
+358, +590, +599) are resolved into longer prefixes, digit by digit:

- for a national prefix p, the candidate regions are those whose number-type patterns (fixed
  line, mobile, toll free, ...), or whose leading_digits when the region has them, could match a
  number that starts with p (regex partial matching: "could this text still become a match");
- one candidate: p belongs to it; none: p belongs to the code's main region (the unassigned
  space, so that the main region is the exact complement of the others); several: p is expanded
  into its ten children, down to a depth limit (3 digits for NANP area codes, 6 elsewhere), where
  the first candidate in libphonenumber's own order wins, as phonenumbers.region_code_for_number
  would decide;
- ten siblings that resolve to one region are merged back into their parent.

So the main region of a shared code never gets the bare code ("deny US" does not deny Canada):
it gets the explicit complement of the other regions' prefixes. Non-geographic codes (+800,
+808, +870, +878, +881, +882, +883, +888, +979) are listed under the region "001", as in
libphonenumber. Output is deterministic.
"""

import subprocess
import sys

import phonenumbers
import regex
from phonenumbers import PhoneMetadata

TYPE_DESCS = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
              "personal_number", "voip", "pager", "uan", "voicemail")


def debian_version():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-phonenumbers"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def region_matchers(region):
    """Returns a function p -> bool: could a national number starting with p belong to region."""
    md = PhoneMetadata.metadata_for_region(region)
    if md.leading_digits:
        # phonenumbers decides such a region by leading_digits alone (prefix match).
        ld = regex.compile(md.leading_digits)
        return lambda p: ld.match(p, partial=True) is not None
    pats = []
    for t in TYPE_DESCS:
        desc = getattr(md, t, None)
        if desc is not None and desc.national_number_pattern:
            pats.append(regex.compile(desc.national_number_pattern))
    return lambda p: any(r.fullmatch(p, partial=True) is not None for r in pats)


def resolve(cc, regions):
    """Returns [(national prefix, region)] covering the whole code cc."""
    main = regions[0]
    match = {r: region_matchers(r) for r in regions}
    max_depth = 3 if cc == 1 else 6

    def walk(p):
        cands = [r for r in regions if match[r](p)] if p else list(regions)
        if not cands:
            return [(p, main)]
        if len(cands) == 1:
            return [(p, cands[0])]
        if len(p) >= max_depth:
            return [(p, cands[0])]
        leaves = []
        for d in "0123456789":
            leaves.extend(walk(p + d))
        owners = {r for _, r in leaves}
        if len(owners) == 1:
            return [(p, owners.pop())]
        # Merge runs of complete sibling groups again below this level (walk already merged
        # each child), so nothing more to do here.
        return leaves

    return walk("")


def main():
    by_region = {}
    for cc in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc]
        if regions == ("001",):
            by_region.setdefault("001", []).append("+%d" % cc)
            continue
        if len(regions) == 1:
            by_region.setdefault(regions[0], []).append("+%d" % cc)
            continue
        for p, r in resolve(cc, regions):
            by_region.setdefault(r, []).append("+%d%s" % (cc, p))

    # Sanity: no prefix is listed twice, and none is a prefix of another region's prefix.
    owner = {}
    for r, ps in by_region.items():
        for p in ps:
            assert p not in owner, (p, r, owner.get(p))
            owner[p] = r
    allp = sorted(owner)
    for a, b in zip(allp, allp[1:]):
        assert not b.startswith(a), (a, owner[a], b, owner[b])

    import io
    check = len(sys.argv) == 3 and sys.argv[1] == "--check"
    out = io.StringIO() if check else sys.stdout
    out.write("# Palisade country data: ISO 3166-1 alpha-2 region (001 = non-geographic ITU-T E.164\n")
    out.write("# codes) <TAB> its E.164 prefixes, comma separated. Shared calling codes are resolved\n")
    out.write("# to longer prefixes (see scripts/gen_countries.py); no prefix belongs to two regions.\n")
    out.write("# Source: libphonenumber metadata from Debian python3-phonenumbers %s (phonenumbers %s).\n"
              % (debian_version(), phonenumbers.__version__))
    out.write("# Generated by scripts/gen_countries.py: do not edit by hand.\n")
    for r in sorted(by_region):
        out.write("%s\t%s\n" % (r, ",".join(sorted(by_region[r]))))
    if check:
        with open(sys.argv[2], encoding="ascii") as f:
            if f.read() != out.getvalue():
                sys.stderr.write("%s is not what the metadata gives: regenerate it\n" % sys.argv[2])
                sys.exit(1)


if __name__ == "__main__":
    main()
