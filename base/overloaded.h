// The overloaded-lambdas visitor for std::visit: std::visit(Overloaded{[](A) {}, [](B) {}}, v).
#ifndef MPDRILL_BASE_OVERLOADED_H_
#define MPDRILL_BASE_OVERLOADED_H_

namespace mpdrill {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace mpdrill

#endif  // MPDRILL_BASE_OVERLOADED_H_
