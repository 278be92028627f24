// Sysctl: a host's sysctl table (Linux's /proc/sys/net/...): a name such as
// "net.ipv4.ip_forward" mapped to a getter and a setter. Values are strings as /proc/sys
// shows them ("1", "32768\t60999"); integers are parsed as proc_dointvec_minmax does.
//
//   Sysctl& t = stack.sysctl();
//   t.set("net.ipv4.ip_forward", "1");          // 0, -ENOENT (no such name), -EINVAL (value)
//   std::string v; t.get("net.ipv4.ip_forward", &v);
//   t.add_int("net.ipv4.ipfrag_time", cfg.frag_time_s, 0, INT_MAX);   // a part registers its own
//
// The Stack registers the settings it has (register_stack_sysctls, sysctl.cpp); other parts
// (fragmentation, conntrack, congestion control) add theirs with add_int / add. Where a
// value is kept in another unit (ns), the entry converts.
#pragma once

#include <cerrno>
#include <climits>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nicsim::net {

class Sysctl {
 public:
  struct Entry {
    std::function<std::string()> get;
    std::function<int(const std::string&)> set;  // 0 or -EINVAL; the value is unchanged on error
  };

  // Registers name; std::logic_error if it exists already (two parts claiming one name).
  void add(const std::string& name, Entry e);
  // An integer setting kept in v (in v's unit = the shown value * scale), accepted in
  // [min, max] (shown units).
  template <class T>
  void add_int(const std::string& name, T& v, long long min, long long max, long long scale = 1) {
    T* p = &v;
    add(name, {[p, scale] { return std::to_string((long long)(*p) / scale); },
               [p, min, max, scale](const std::string& s) {
                 long long x = 0;
                 if (!parse_int(s, &x) || x < min || x > max) return -EINVAL;
                 *p = T(x * scale);
                 return 0;
               }});
  }
  // A 0/1 switch.
  void add_bool(const std::string& name, bool& v) {
    bool* p = &v;
    add(name, {[p] { return std::string(*p ? "1" : "0"); },
               [p](const std::string& s) {
                 long long x = 0;
                 if (!parse_int(s, &x) || x < 0 || x > 1) return -EINVAL;
                 *p = x != 0;
                 return 0;
               }});
  }

  // A kern::Param<integer or bool> kept in p: shown as its integer value (bools 0/1), set
  // within the Param's own range (-EINVAL outside it, the value unchanged).
  template <class P>
  void add_param(const std::string& name, P& p) {
    P* q = &p;
    add(name, {[q] { return std::to_string((long long)(q->value)); },
               [q](const std::string& s) {
                 long long x = 0;
                 using T = typename P::value_type;
                 if (!parse_int(s, &x) || x < 0 || (long long)T(x) != x || !q->in_range(T(x))) return -EINVAL;
                 q->value = T(x);
                 return 0;
               }});
  }
  // A value that can be read only (as /proc/sys's 0444 entries): writing it gives -EPERM.
  void add_ro(const std::string& name, std::function<std::string()> get) {
    add(name, {std::move(get), [](const std::string&) { return -EPERM; }});
  }

  // 0 or -ENOENT.
  int get(const std::string& name, std::string* value) const;
  // 0, -ENOENT or -EINVAL (the setting refused the value).
  int set(const std::string& name, const std::string& value);
  bool has(const std::string& name) const { return table_.count(name) != 0; }
  // Every name, sorted (`sysctl -a` order).
  std::vector<std::string> names() const;

  // A decimal integer with optional sign, surrounded by optional blanks (a trailing newline,
  // as `echo 1 > /proc/sys/...` writes, included). false if anything else.
  static bool parse_int(const std::string& s, long long* out);

 private:
  std::map<std::string, Entry> table_;  // ordered: listings are deterministic
};

class Stack;
// The settings the stack has today, under their Linux names (called by Stack's constructor).
void register_stack_sysctls(Stack& st, Sysctl& t);

}  // namespace nicsim::net
