#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

#include "manifest/detail.h"

namespace vitrine::manifest::detail {
namespace {

Position to_position(const YAML::Mark& mark) {
  // yaml-cpp marks are 0-based; editors and compilers count from 1.
  return Position{mark.line + 1, mark.column + 1};
}

class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(Reporter& report) : report_(report) {}

  std::optional<YNode> root;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    check_anchor(mark, anchor);
    YNode node;
    node.pos = to_position(mark);
    emit(std::move(node));
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    report_.error(to_position(mark), "yaml-alias",
                  "aliases (*name) are not allowed in a manifest; write the value out in full");
    YNode node;
    node.pos = to_position(mark);
    node.alias = true;
    emit(std::move(node));
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_anchor(mark, anchor);
    check_tag(mark, tag);
    YNode node;
    node.kind = YNode::Kind::scalar;
    node.pos = to_position(mark);
    node.scalar = value;
    // yaml-cpp gives "!" to quoted and block scalars and "?" to plain ones.
    node.quoted = tag == "!";
    emit(std::move(node));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    check_anchor(mark, anchor);
    check_tag(mark, tag);
    open(YNode::Kind::sequence, mark);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    check_anchor(mark, anchor);
    check_tag(mark, tag);
    open(YNode::Kind::map, mark);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    YNode node;
    std::optional<YNode> pending_key;
  };

  void check_anchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) {
      report_.error(to_position(mark), "yaml-alias",
                    "anchors (&name) are not allowed in a manifest; write each value out in full");
    }
  }

  void check_tag(const YAML::Mark& mark, const std::string& tag) {
    if (!tag.empty() && tag != "?" && tag != "!") {
      report_.error(to_position(mark), "yaml-tag",
                    "the tag '" + tag + "' is not allowed; remove it and write a plain value");
    }
  }

  void open(YNode::Kind kind, const YAML::Mark& mark) {
    Frame frame;
    frame.node.kind = kind;
    frame.node.pos = to_position(mark);
    stack_.push_back(std::move(frame));
  }

  void close() {
    YNode node = std::move(stack_.back().node);
    stack_.pop_back();
    emit(std::move(node));
  }

  void emit(YNode node) {
    if (stack_.empty()) {
      root = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.kind == YNode::Kind::sequence) {
      parent.node.items.push_back(std::move(node));
    } else if (!parent.pending_key) {
      parent.pending_key = std::move(node);
    } else {
      parent.node.entries.emplace_back(std::move(*parent.pending_key), std::move(node));
      parent.pending_key.reset();
    }
  }

  Reporter& report_;
  std::vector<Frame> stack_;
};

class DocumentCounter : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> start;
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (!start) start = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

void report_syntax(const YAML::Exception& e, Reporter& report) {
  std::string message = e.msg.empty() ? std::string("malformed YAML") : e.msg;
  report.error(to_position(e.mark), "yaml-syntax",
               "YAML syntax error: " + message + "; fix the YAML before anything else is checked");
}

}  // namespace

std::optional<YNode> parse_yaml(std::string_view text, Reporter& report) {
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    TreeBuilder builder(report);
    if (!parser.HandleNextDocument(builder)) return std::nullopt;
    DocumentCounter second;
    if (parser.HandleNextDocument(second)) {
      Position pos = second.start ? to_position(*second.start) : Position{};
      report.error(pos, "yaml-multiple-documents",
                   "a manifest is one YAML document; remove the second document starting here");
    }
    return std::move(builder.root);
  } catch (const YAML::Exception& e) {
    report_syntax(e, report);
  } catch (const std::exception& e) {
    report.error(Position{}, "yaml-syntax", std::string("cannot parse the YAML: ") + e.what());
  }
  return std::nullopt;
}

}  // namespace vitrine::manifest::detail
