#include "dataplane/policy/dest_policy.hpp"

#include <map>

namespace palisade::dp {

bool DestPolicies::build(std::span<const DestPolicySpec> policies,
                         std::span<const CountrySpec> countries, std::string* error) {
    std::unordered_map<std::string_view, const CountrySpec*> by_iso;
    for (const CountrySpec& c : countries) by_iso.emplace(c.iso, &c);

    std::map<std::string, const PatternSet*> set_cache;  // distinct pattern sets compiled once
    std::vector<DigitTrie::Entry> entries;
    std::vector<std::string> patterns;
    std::vector<std::uint8_t> verdicts;
    policies_.reserve(policies.size());
    for (const DestPolicySpec& spec : policies) {
        entries.clear();
        patterns.clear();
        verdicts.clear();
        for (const DestRule& r : spec.rules) {
            const std::uint8_t v = r.action == RuleAction::deny ? kVerdictDeny : kVerdictAllow;
            switch (r.kind) {
                case RuleKind::prefix:
                    if (r.value.size() >= 2 && r.value[0] == '+')
                        entries.push_back({std::string_view(r.value).substr(1), v});
                    break;
                case RuleKind::country: {
                    const auto it = by_iso.find(r.value);
                    if (it == by_iso.end()) {
                        if (error)
                            *error = "policy '" + spec.name + "': unknown country '" + r.value + "'";
                        return false;
                    }
                    for (const std::string& p : it->second->prefixes)
                        if (p.size() >= 2 && p[0] == '+')
                            entries.push_back({std::string_view(p).substr(1), v});
                    break;
                }
                case RuleKind::pattern:
                    patterns.push_back(r.value);
                    verdicts.push_back(v);
                    break;
            }
        }
        Compiled c;
        c.default_allow = spec.default_action == RuleAction::allow;
        c.has_prefixes = !entries.empty();
        c.root = c.has_prefixes ? trie_.add(entries) : 0;
        if (c.has_prefixes) c.index = index_.add(trie_, c.root);
        if (!patterns.empty()) {
            std::string key;
            for (std::size_t i = 0; i < patterns.size(); ++i) {
                key += static_cast<char>('0' + verdicts[i]);
                key += patterns[i];
                key += '\n';
            }
            auto it = set_cache.find(key);
            if (it == set_cache.end()) {
                std::string err;
                auto set = PatternSet::compile(patterns, verdicts, &err);
                if (!set) {
                    if (error) *error = "policy '" + spec.name + "': " + err;
                    return false;
                }
                if (!proto_.fit(set->database())) {
                    if (error) *error = "policy '" + spec.name + "': no memory for Hyperscan scratch";
                    return false;
                }
                it = set_cache.emplace(std::move(key), set.get()).first;
                sets_.push_back(std::move(set));
            }
            c.patterns = it->second;
        }
        by_name_.emplace(spec.name, static_cast<std::uint32_t>(policies_.size()));
        policies_.push_back(c);
    }
    return true;
}

std::uint32_t DestPolicies::index_of(std::string_view name) const {
    const auto it = by_name_.find(std::string(name));
    return it == by_name_.end() ? kNoPolicy : it->second;
}

}  // namespace palisade::dp
