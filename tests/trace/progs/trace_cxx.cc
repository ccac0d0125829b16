// trace_cxx - the C++ program of the tracer tests: allocation through every
// form of operator new and delete, so that an allocator exporting its own
// operators (jemalloc, tcmalloc, mimalloc never pass them through malloc)
// is still seen. 5 rounds; new_leaky keeps 10 of its 100 Widgets a round.
//
// Output: "site NAME LIVE_0 ... LIVE_4" per site (its own exact count of
// live bytes at each round end), as trace_prog prints it.
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

extern "C" {
__attribute__((weak)) void allocbench_trace_round(void);
}

namespace {

struct Widget {
        char data[48];
};

struct alignas(64) Aligned {
        char data[192];
};

constexpr int kRounds = 5;
long live_leaky, live_array, live_aligned, live_nothrow;
long at[4][kRounds];
std::vector<Widget *> *kept;

__attribute__((noinline)) void new_leaky()
{
        Widget *w[100];
        for (auto &p : w) {
                p = new Widget;
                live_leaky += sizeof(Widget);
        }
        for (int i = 10; i < 100; i++) {
                delete w[i]; // sized delete (_ZdlPvm) with -fsized-deallocation
                live_leaky -= sizeof(Widget);
        }
        for (int i = 0; i < 10; i++)
                kept->push_back(w[i]);
}

__attribute__((noinline)) void new_array()
{
        int *a = new int[1000];
        live_array += 4000;
        a[0] = 1;
        delete[] a;
        live_array -= 4000;
}

__attribute__((noinline)) void new_aligned()
{
        Aligned *a = new Aligned; // operator new(size_t, align_val_t)
        live_aligned += sizeof(Aligned);
        delete a; // sized, aligned delete
        live_aligned -= sizeof(Aligned);
        Aligned *b = new Aligned[4]; // the array form
        live_aligned += 4 * sizeof(Aligned);
        delete[] b;
        live_aligned -= 4 * sizeof(Aligned);
}

__attribute__((noinline)) void new_nothrow()
{
        Widget *w = new (std::nothrow) Widget;
        live_nothrow += sizeof(Widget);
        operator delete(w, std::nothrow);
        live_nothrow -= sizeof(Widget);
}

} // namespace

int main()
{
        kept = new std::vector<Widget *>;
        kept->reserve(1000); // before round 0: no reallocation inside the rounds
        for (int r = 0; r < kRounds; r++) {
                new_leaky();
                new_array();
                new_aligned();
                new_nothrow();
                at[0][r] = live_leaky;
                at[1][r] = live_array;
                at[2][r] = live_aligned;
                at[3][r] = live_nothrow;
                if (allocbench_trace_round)
                        allocbench_trace_round();
        }
        const char *names[4] = {"new_leaky", "new_array", "new_aligned", "new_nothrow"};
        for (int s = 0; s < 4; s++) {
                std::printf("site %s", names[s]);
                for (int r = 0; r < kRounds; r++)
                        std::printf(" %ld", at[s][r]);
                std::printf("\n");
        }
        return 0;
}
